"""MuJoCo reference numbers for drat's MJCF fidelity test (see mjcf-fidelity).

Usage: mjcf_fidelity.py OUT.json [--explore]

Loads the vendored, unmodified Gymnasium 1.4.0 MJCF files (assets/robots/ant/ant.xml,
assets/robots/half_cheetah/half_cheetah.xml) with mujoco.MjModel.from_xml_path and writes, per
model, what the compiled model holds (bodies, joints, actuators, geoms, qpos0) and a few short
open-loop experiments a second simulator can replay:

- zero_action: ctrl = 0 for 2 s.
- gait: action_k = A*sin(2*pi*f*t_n + phi_k) at control step n (t_n = 0.05*n, the time at the
  START of the step), clipped to ctrlrange, held for frame_skip = 5 physics steps, 5 s.
- gait_mass_x1.5: the same with every body's mass and inertia x1.5.
- gait_friction_x0.3: the same with every geom's sliding friction x0.3 (floor included).
- friction_scan: the gait's summaries with every geom's sliding friction x each of
  FRICTION_SCAN (how the displacement depends on friction, not one ratio).
- zero_action_frictionless: ctrl = 0 for 5 s with every geom's sliding friction set to 1e-3, and
  the final angle of each actuator's joint (actuator order): the equilibrium of gravity, the
  joint springs and the normal contact forces alone, where no friction model enters.
- contact_models: zero action and the three gait runs again with MuJoCo's contact model set
  towards drat's (Rapier's): an elliptic friction cone (`opt.cone = elliptic`; the default
  pyramidal cone with condim 3 allows only |f1| + |f2| <= mu*fn, so mu/sqrt(2) along the
  diagonals the Ant's legs push in), and that cone with noslip_iterations = 50 (no creep:
  rigid Coulomb friction, as drat's).
- zero_action_noslip: zero_action with opt.noslip_iterations = 50 (MuJoCo's post-solve that
  removes soft-contact slip), so the reader sees how much of the resting height is creep.
- euler: the gait summaries with the Euler integrator instead of the file's.
- robustness: how far the gait summaries move when qpos0 is perturbed by U(-1e-4, 1e-4)
  (seeded, 5 draws; a free joint's quaternion is renormalised) and with Euler vs the file's
  integrator, so the reader knows which digits are physics and which are chaos.

Every run starts from qpos0 with each limited hinge clamped into its range (start_qpos: drat's
start; ant.xml's qpos0 has the ankles outside their ranges) and zero qvel, no noise. Traces are
[t, x, y, z, yaw] of the torso body's world position (data.xpos) and heading
(yaw = atan2(2(wz+xy), 1-2(y^2+z^2)) of data.xquat), t after the control step.
Floats are rounded to 6 significant digits. One process, one thread, runs in seconds.

--explore prints the gait summaries and spreads for a grid of gait parameters (how the committed
ones were chosen) and writes nothing.
"""
import json
import math
import os
import sys

import mujoco
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FRAME_SKIP = 5  # Gymnasium Ant-v5 and HalfCheetah-v5
ZERO_DURATION = 2.0
GAIT_DURATION = 5.0
N_PERTURB = 5
PERTURB = 1e-4
SEED = 0
FRICTION_SCAN = [0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0]
FRICTIONLESS = 1e-3
FRICTIONLESS_DURATION = 5.0

# Gait parameters (chosen with --explore; see the report in the commit / JSON "gait_params").
# Phases are per actuator in the file's actuator order.
# Ant: a trot (diagonal legs in antiphase, ankles a quarter period behind their hips), small and
# slow because every larger or faster open-loop gait is chaotic in MuJoCo itself (a 1e-4 change
# of qpos0 moves the displacement by 50-400 %; see --explore). HalfCheetah: a travelling wave
# over the actuators, 2 Hz, which MuJoCo reproduces to 1 % under the same perturbation.
# Phases are per actuator in the file's actuator order (ant: hip_4, ankle_4, hip_1, ankle_1,
# hip_2, ankle_2, hip_3, ankle_3).
GAITS = {
    "ant": dict(amplitude=0.2, frequency_hz=0.5,
                phases=[0.0, math.pi / 2, math.pi, -math.pi / 2, 0.0, math.pi / 2, math.pi, -math.pi / 2]),
    "half_cheetah": dict(amplitude=0.4, frequency_hz=2.0, phases="uniform"),
}

MODELS = {
    "ant": "assets/robots/ant/ant.xml",
    "half_cheetah": "assets/robots/half_cheetah/half_cheetah.xml",
}


def sig(x, n=6):
    """Round to n significant digits (recursively through lists/dicts)."""
    if isinstance(x, dict):
        return {k: sig(v, n) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [sig(v, n) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if x == 0.0 or not math.isfinite(x):
            return 0.0 if x == 0.0 else x
        r = round(x, n - 1 - int(math.floor(math.log10(abs(x)))))
        return 0.0 if r == 0 else r
    return x


def enum_name(enum, value, prefix):
    return enum(int(value)).name[len(prefix):].lower()


def phases_for(spec, nu):
    if spec == "uniform":
        return [2 * math.pi * k / nu for k in range(nu)]
    return list(spec)


def yaw_of(q):
    w, x, y, z = q
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def load(name):
    return mujoco.MjModel.from_xml_path(os.path.join(ROOT, MODELS[name]))


def start_qpos(m):
    """qpos0 with every limited hinge moved to the angle nearest 0 inside its range: drat's
    start. (ant.xml's qpos0 puts the ankles at 0, outside their 30-70 degree ranges, and
    MuJoCo's soft limits then fling them through the range in the first 0.1 s.)"""
    q = m.qpos0.copy()
    for j in range(m.njnt):
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE and m.jnt_limited[j]:
            a = m.jnt_qposadr[j]
            q[a] = np.clip(q[a], *m.jnt_range[j])
    return q


def rollout(m, torso, actions, qpos=None):
    """Reset to start_qpos (or qpos), zero qvel; apply each action for FRAME_SKIP steps."""
    d = mujoco.MjData(m)
    mujoco.mj_resetData(m, d)
    d.qpos[:] = start_qpos(m) if qpos is None else qpos
    mujoco.mj_forward(m, d)
    p0 = d.xpos[torso].copy()
    trace, min_up = [], 1.0
    for n, a in enumerate(actions):
        d.ctrl[:] = a
        for _ in range(FRAME_SKIP):
            mujoco.mj_step(m, d)
        t = (n + 1) * FRAME_SKIP * m.opt.timestep
        x, y, z = d.xpos[torso]
        trace.append([t, x, y, z, yaw_of(d.xquat[torso])])
        min_up = min(min_up, d.xmat[torso][8])  # z component of the torso's local z axis
    return p0, np.array(trace), min_up


def gait_actions(m, g, duration):
    dt = FRAME_SKIP * m.opt.timestep
    steps = int(round(duration / dt))
    ph = phases_for(g["phases"], m.nu)
    lo, hi = m.actuator_ctrlrange[:, 0], m.actuator_ctrlrange[:, 1]
    acts = []
    for n in range(steps):
        t = dt * n
        a = np.array([g["amplitude"] * math.sin(2 * math.pi * g["frequency_hz"] * t + ph[k]) for k in range(m.nu)])
        limited = m.actuator_ctrllimited.astype(bool)
        a[limited] = np.clip(a, lo, hi)[limited]
        acts.append(a)
    return acts


def summaries(name, p0, tr, min_up):
    s = {
        "dx": tr[-1, 1] - p0[0],
        "dy": tr[-1, 2] - p0[1],
        "mean_z": float(tr[:, 3].mean()),
        "final_z": tr[-1, 3],
        "final_yaw": tr[-1, 4],
        "min_torso_up_z": min_up,
    }
    if name == "half_cheetah":
        s["forward_distance"] = s["dx"]
    return s


def perturbed_qpos(m, rng):
    q = start_qpos(m) + rng.uniform(-PERTURB, PERTURB, m.nq)
    for j in range(m.njnt):
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
            a = m.jnt_qposadr[j] + 3
            q[a:a + 4] /= np.linalg.norm(q[a:a + 4])
        elif m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            a = m.jnt_qposadr[j]
            q[a:a + 4] /= np.linalg.norm(q[a:a + 4])
    return q


def gait_study(name, g):
    """Gait summaries, Euler summaries, and robustness spreads."""
    m = load(name)
    torso = m.body("torso").id
    acts = gait_actions(m, g, GAIT_DURATION)
    p0, tr, up = rollout(m, torso, acts)
    base = summaries(name, p0, tr, up)
    keys = ["dx", "dy", "mean_z", "final_yaw"]
    rng = np.random.default_rng(SEED)
    dev = {k: 0.0 for k in keys}
    pert = []
    for _ in range(N_PERTURB):
        q = perturbed_qpos(m, rng)
        s = summaries(name, *rollout(m, torso, acts, q))
        pert.append(s)
        for k in keys:
            dev[k] = max(dev[k], abs(s[k] - base[k]))
    alt, adiff = {}, {}
    for integ in ("euler", "rk4"):
        mi = load(name)
        mi.opt.integrator = getattr(mujoco.mjtIntegrator, "mjINT_" + integ.upper())
        alt[integ] = summaries(name, *rollout(mi, torso, acts))
        adiff[integ] = {k: alt[integ][k] - base[k] for k in keys}
    return m, acts, p0, tr, base, alt, dev, adiff, pert


def explore():
    grid_a = [0.4, 0.5, 0.6, 0.8, 1.0]
    grid_f = [0.5, 1.0, 1.5, 2.0]
    for name in MODELS:
        print(f"== {name}")
        for A in grid_a:
            for f in grid_f:
                g = dict(amplitude=A, frequency_hz=f, phases="uniform")
                _, _, _, _, b, alt, dev, adiff, pert = gait_study(name, g)
                other = "rk4" if load(name).opt.integrator == mujoco.mjtIntegrator.mjINT_EULER else "euler"
                eu, ed = alt[other], adiff[other]
                disp = math.hypot(b["dx"], b["dy"])
                rel = max(dev["dx"], dev["dy"]) / max(disp, 1e-9)
                erel = max(abs(ed["dx"]), abs(ed["dy"])) / max(disp, 1e-9)
                print(f"A={A} f={f}: dx={b['dx']:+.3f} dy={b['dy']:+.3f} disp={disp:.3f} "
                      f"mean_z={b['mean_z']:.3f} yaw={b['final_yaw']:+.3f} up={b['min_torso_up_z']:.2f} "
                      f"| pert rel={rel:.4f} yawdev={dev['final_yaw']:.4f} | {other} rel={erel:.3f} "
                      f"eyaw={ed['final_yaw']:+.3f} eup={eu['min_torso_up_z']:.2f}")


def actuator_kind(m, i):
    dyn = enum_name(mujoco.mjtDyn, m.actuator_dyntype[i], "mjDYN_")
    gain = enum_name(mujoco.mjtGain, m.actuator_gaintype[i], "mjGAIN_")
    bias = enum_name(mujoco.mjtBias, m.actuator_biastype[i], "mjBIAS_")
    gp, bp = m.actuator_gainprm[i], m.actuator_biasprm[i]
    if dyn == "none" and gain == "fixed" and bias == "none" and gp[0] == 1.0:
        kind = "motor"
    elif dyn == "none" and gain == "fixed" and bias == "affine" and bp[0] == 0 and bp[1] == -gp[0]:
        kind = "position"
    else:
        kind = "general"
    return kind, dyn, gain, bias


def describe(name):
    m = load(name)
    d = mujoco.MjData(m)
    mujoco.mj_resetData(m, d)
    mujoco.mj_forward(m, d)
    torso = m.body("torso").id
    bodies = [
        dict(name=m.body(b).name, mass=m.body_mass[b], inertia=m.body_inertia[b].tolist(),
             ipos=m.body_ipos[b].tolist(), parent=m.body(int(m.body_parentid[b])).name)
        for b in range(1, m.nbody)
    ]
    joints = []
    for j in range(m.njnt):
        jt = enum_name(mujoco.mjtJoint, m.jnt_type[j], "mjJNT_")
        dof = m.jnt_dofadr[j]
        joints.append(dict(
            name=m.joint(j).name, type=jt, body=m.body(int(m.jnt_bodyid[j])).name,
            axis=m.jnt_axis[j].tolist(), limited=bool(m.jnt_limited[j]), range=m.jnt_range[j].tolist(),
            damping=m.dof_damping[dof], armature=m.dof_armature[dof], stiffness=m.jnt_stiffness[j],
            frictionloss=m.dof_frictionloss[dof], qpos0=m.qpos0[m.jnt_qposadr[j]] if jt in ("hinge", "slide") else None,
        ))
        if joints[-1]["qpos0"] is None:
            del joints[-1]["qpos0"]
    actuators = []
    for i in range(m.nu):
        kind, dyn, gain, bias = actuator_kind(m, i)
        actuators.append(dict(
            name=m.actuator(i).name, joint=m.joint(int(m.actuator_trnid[i, 0])).name, gear=m.actuator_gear[i, 0],
            ctrllimited=bool(m.actuator_ctrllimited[i]), ctrlrange=m.actuator_ctrlrange[i].tolist(),
            type=kind, dyntype=dyn, gaintype=gain, biastype=bias,
        ))
    geoms = [
        dict(name=m.geom(g).name, body=m.body(int(m.geom_bodyid[g])).name,
             type=enum_name(mujoco.mjtGeom, m.geom_type[g], "mjGEOM_"), size=m.geom_size[g].tolist(),
             pos=m.geom_pos[g].tolist(), quat=m.geom_quat[g].tolist(),
             friction=m.geom_friction[g, 0], contype=int(m.geom_contype[g]),
             conaffinity=int(m.geom_conaffinity[g]), condim=int(m.geom_condim[g]), margin=m.geom_margin[g])
        for g in range(m.ngeom)
    ]
    return m, dict(
        mujoco_version=mujoco.__version__,
        model_file=MODELS[name],
        timestep=m.opt.timestep,
        integrator=enum_name(mujoco.mjtIntegrator, m.opt.integrator, "mjINT_"),
        frame_skip=FRAME_SKIP,
        control_dt=FRAME_SKIP * m.opt.timestep,
        gravity=m.opt.gravity.tolist(),
        torso_body="torso",
        nq=int(m.nq), nv=int(m.nv), nu=int(m.nu),
        total_mass=float(m.body_mass.sum()),
        bodies=bodies, joints=joints, actuators=actuators, geoms=geoms,
        qpos0=m.qpos0.tolist(),
        start_qpos=start_qpos(m).tolist(),
        init_torso_pos=d.xpos[torso].tolist(),
    )


def experiment(name, mutate, acts_fn):
    m = load(name)
    mutate(m)
    torso = m.body("torso").id
    acts = acts_fn(m)
    p0, tr, up = rollout(m, torso, acts)
    return p0, tr, summaries(name, p0, tr, up)


CONTACT_MODELS = {
    "elliptic": dict(cone=mujoco.mjtCone.mjCONE_ELLIPTIC),
    "elliptic_noslip": dict(cone=mujoco.mjtCone.mjCONE_ELLIPTIC, noslip_iterations=50),
}


def contact_model_runs(name, opts, gait, zsteps):
    """zero_action, gait, gait_mass_x1.5 and gait_friction_x0.3 with m.opt set from opts."""
    def with_opts(extra):
        def f(m):
            for k, v in opts.items():
                setattr(m.opt, k, v)
            extra(m)
        return f

    def heavy(m):
        m.body_mass[:] *= 1.5
        m.body_inertia[:] *= 1.5

    def slippery(m):
        m.geom_friction[:, 0] *= 0.3

    zero = experiment(name, with_opts(lambda m: None), lambda m: [np.zeros(m.nu)] * zsteps)[2]
    return {
        "options": {k: int(v) for k, v in opts.items()},
        "zero_action": dict(duration_s=ZERO_DURATION, final_z=zero["final_z"], dx=zero["dx"], dy=zero["dy"],
                            final_yaw=zero["final_yaw"]),
        "gait": experiment(name, with_opts(lambda m: None), gait)[2],
        "gait_mass_x1.5": experiment(name, with_opts(heavy), gait)[2],
        "gait_friction_x0.3": experiment(name, with_opts(slippery), gait)[2],
    }


def frictionless_rest(name):
    """Zero action for FRICTIONLESS_DURATION with every geom's friction FRICTIONLESS."""
    m = load(name)
    m.geom_friction[:, 0] = FRICTIONLESS
    torso = m.body("torso").id
    steps = int(round(FRICTIONLESS_DURATION / (FRAME_SKIP * m.opt.timestep)))
    d = mujoco.MjData(m)
    mujoco.mj_resetData(m, d)
    d.qpos[:] = start_qpos(m)
    mujoco.mj_forward(m, d)
    for _ in range(steps * FRAME_SKIP):
        mujoco.mj_step(m, d)
    q = [float(d.qpos[m.jnt_qposadr[m.actuator_trnid[k, 0]]]) for k in range(m.nu)]
    return dict(duration_s=FRICTIONLESS_DURATION, friction=FRICTIONLESS, final_z=float(d.xpos[torso][2]),
                final_actuated_q=q, max_abs_qvel=float(np.abs(d.qvel).max()))


def build(name):
    m, out = describe(name)
    g = GAITS[name]
    ph = phases_for(g["phases"], m.nu)
    out["gait_params"] = dict(amplitude=g["amplitude"], frequency_hz=g["frequency_hz"], phases_rad=ph,
                              duration_s=GAIT_DURATION, phase_rule=g["phases"] if isinstance(g["phases"], str) else "list",
                              formula="a_k(n) = clip(amplitude*sin(2*pi*frequency_hz*0.05*n + phases_rad[k]), ctrlrange)")
    nothing = lambda m: None
    zsteps = int(round(ZERO_DURATION / (FRAME_SKIP * m.opt.timestep)))
    p0, tr, s = experiment(name, nothing, lambda m: [np.zeros(m.nu)] * zsteps)
    out["zero_action"] = dict(duration_s=ZERO_DURATION, final_z=s["final_z"], dx=s["dx"], dy=s["dy"],
                              final_yaw=s["final_yaw"], min_torso_up_z=s["min_torso_up_z"], trace=tr.tolist())
    _, acts, p0, tr, base, alt, dev, adiff, _ = gait_study(name, g)
    out["gait"] = dict(base, trace=tr.tolist())

    def heavy(m):
        m.body_mass[:] *= 1.5
        m.body_inertia[:] *= 1.5

    def slippery(m):
        m.geom_friction[:, 0] *= 0.3

    gait = lambda m: gait_actions(m, g, GAIT_DURATION)
    out["gait_mass_x1.5"] = experiment(name, heavy, gait)[2]
    out["gait_friction_x0.3"] = experiment(name, slippery, gait)[2]

    def scaled_friction(k):
        def f(m):
            m.geom_friction[:, 0] *= k
        return f

    out["friction_scan"] = [dict(friction_scale=k, **experiment(name, scaled_friction(k), gait)[2])
                            for k in FRICTION_SCAN]
    out["zero_action_frictionless"] = frictionless_rest(name)
    out["contact_models"] = {label: contact_model_runs(name, opts, gait, zsteps)
                             for label, opts in CONTACT_MODELS.items()}

    def noslip(m):
        m.opt.noslip_iterations = 50

    s = experiment(name, noslip, lambda m: [np.zeros(m.nu)] * zsteps)[2]
    out["zero_action_noslip"] = dict(duration_s=ZERO_DURATION, noslip_iterations=50, final_z=s["final_z"],
                                     dx=s["dx"], dy=s["dy"], final_yaw=s["final_yaw"])
    out["euler"] = alt["euler"]
    out["rk4"] = alt["rk4"]
    out["robustness"] = dict(
        perturbation=f"qpos0 + U(-{PERTURB:g}, {PERTURB:g}) per coordinate, numpy default_rng({SEED}), {N_PERTURB} draws",
        max_abs_deviation=dev,
        euler_minus_default=adiff["euler"],
        rk4_minus_default=adiff["rk4"],
    )
    return out


def dump(obj):
    """Pretty JSON, but each short list of numbers (a trace row, a vector) on one line."""
    def enc(o, ind):
        pad = "  " * ind
        if isinstance(o, dict):
            if not o:
                return "{}"
            items = [f'{pad}  {json.dumps(k)}: {enc(v, ind + 1)}' for k, v in o.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(o, list):
            if all(not isinstance(v, (dict, list)) for v in o):
                return "[" + ", ".join(json.dumps(v) for v in o) + "]"
            items = [f"{pad}  {enc(v, ind + 1)}" for v in o]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        return json.dumps(o)
    return enc(obj, 0) + "\n"


def main():
    if "--explore" in sys.argv:
        explore()
        return
    out_path = sys.argv[1]
    res = {
        "generator": "scripts/anchors/mjcf-fidelity (scripts/anchors/mjcf_fidelity.py)",
        "notes": "MuJoCo reference for the unmodified Gymnasium 1.4.0 ant.xml / half_cheetah.xml. "
                 "Runs start at start_qpos (qpos0 with limited hinges clamped into their ranges), zero qvel; actions held for frame_skip physics steps. "
                 "Traces: [t after the control step, torso x, y, z, yaw]. Actuator type: motor = "
                 "dyntype none, gaintype fixed with gainprm[0] = 1, biastype none (force = gear*ctrl); "
                 "position = biastype affine with biasprm = (0, -kp, -kv). Rounded to 6 significant digits.",
    }
    for name in MODELS:
        res[name] = build(name)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write(dump(sig(res)))
    for name in MODELS:
        r = res[name]
        print(name, "total_mass", round(r["total_mass"], 4))
        for e in ("zero_action", "gait", "gait_mass_x1.5", "gait_friction_x0.3", "euler", "rk4"):
            s = r[e]
            print(f"  {e:20s} dx={s['dx']:+.4f} dy={s['dy']:+.4f} final_z={s['final_z']:.4f} "
                  f"yaw={s['final_yaw']:+.4f} up={s['min_torso_up_z']:.3f}"
                  + (f" mean_z={s['mean_z']:.4f}" if "mean_z" in s else ""))
        print("  robustness", {k: round(v, 5) for k, v in r["robustness"]["max_abs_deviation"].items()},
              "euler-default", {k: round(v, 4) for k, v in r["robustness"]["euler_minus_default"].items()},
              "rk4-default", {k: round(v, 4) for k, v in r["robustness"]["rk4_minus_default"].items()})
    print("wrote", out_path, os.path.getsize(out_path), "bytes")


if __name__ == "__main__":
    main()
