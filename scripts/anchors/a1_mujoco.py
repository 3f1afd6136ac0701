"""MuJoCo A1 env steps/s (see a1-mujoco). Usage: a1_mujoco.py A1_URDF CONTROL_STEPS

MuJoCo reads the unmodified a1.urdf, but as a fixed-base robot without actuators (the
joint-less root `trunk` is fused into the world, nu = 0). In a temporary copy this adds what
the comparison needs and nothing else: a dummy root link with a `floating` joint to `trunk`
(so nq = 19), then in the compiled MJCF a floor, dt 1/240 s, the spawn height, and 12 position
actuators with kp 20, kv 0.5 and forces limited to the URDF efforts (legged_gym's PD, as in
a1_pybullet.py and drat). Solver: MuJoCo's defaults. One process, one core.
"""
import os
import re
import shutil
import sys
import tempfile
import time

import mujoco
import numpy as np

urdf, n = os.path.abspath(sys.argv[1]), int(sys.argv[2])
LEGS = [f"{l}_{p}_joint" for l in ("FR", "FL", "RR", "RL") for p in ("hip", "upper", "lower")]
text = open(urdf).read()
effort = {}
for j in LEGS:
    block = text[text.index(f'<joint name="{j}"'):]
    effort[j] = float(re.search(r'effort="([^"]+)"', block[: block.index("</joint>")]).group(1))
work = tempfile.mkdtemp(prefix="drat-a1-mujoco-")
shutil.copytree(os.path.dirname(urdf), work, dirs_exist_ok=True)
os.chdir(work)
floating = re.sub(
    r'(<link name="trunk">)',
    '<link name="base"/>\n  <joint name="root" type="floating">\n    <parent link="base"/>\n'
    '    <child link="trunk"/>\n  </joint>\n  \\1', text, count=1)
open("a1_floating.urdf", "w").write(floating)
mujoco.mj_saveLastXML("a1_compiled.xml", mujoco.MjModel.from_xml_path("a1_floating.urdf"))
xml = open("a1_compiled.xml").read()
xml = xml.replace("<compiler", f'<option timestep="{1 / 240:.12f}"/>\n  <compiler', 1)
xml = xml.replace("<worldbody>", '<worldbody>\n    <geom name="floor" type="plane" size="0 0 1"/>', 1)
xml = re.sub(r'<body name="trunk"( pos="[^"]*")?', '<body name="trunk" pos="0 0 0.42"', xml, count=1)
acts = "\n".join(
    f'    <position name="{j}" joint="{j}" kp="20" kv="0.5" forcelimited="true" '
    f'forcerange="{-effort[j]} {effort[j]}"/>' for j in LEGS)
xml = xml.replace("</mujoco>", f"  <actuator>\n{acts}\n  </actuator>\n</mujoco>")
open("a1.xml", "w").write(xml)
m = mujoco.MjModel.from_xml_path("a1.xml")
assert (m.nq, m.nu) == (19, 12), (m.nq, m.nu)
d = mujoco.MjData(m)
trunk = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "trunk")
qadr = np.array([m.jnt_qposadr[m.actuator_trnid[i, 0]] for i in range(m.nu)])
pose = np.array([-0.1, 0.8, -1.5, 0.1, 0.8, -1.5, -0.1, 1.0, -1.5, 0.1, 1.0, -1.5])
rng = np.random.default_rng(0)


def reset():
    mujoco.mj_resetData(m, d)
    d.qpos[qadr] = pose
    mujoco.mj_forward(m, d)


reset()
t0, steps, episodes, t = time.perf_counter(), 0, 0, 0
while steps < n:
    d.ctrl[:] = pose + 0.25 * rng.uniform(-1, 1, 12)
    for _ in range(4):
        mujoco.mj_step(m, d)
    z = d.xpos[trunk, 2]
    obs = (d.qpos.copy(), d.qvel.copy())  # what an env returns, so it is timed too
    steps += 1
    t += 1
    if z < 0.12 or t >= 250:
        reset()
        episodes += 1
        t = 0
dt = time.perf_counter() - t0
shutil.rmtree(work, ignore_errors=True)
print(f"mujoco {mujoco.__version__} A1: {steps / dt:.0f} env steps/s ({steps} control steps, "
      f"4 x 1/240 s each, {episodes} resets)")
