"""PyBullet A1 env steps/s (see a1-pybullet). Usage: a1_pybullet.py A1_URDF CONTROL_STEPS"""
import sys
import time

import numpy as np
import pybullet as p

urdf, n = sys.argv[1], int(sys.argv[2])
p.connect(p.DIRECT)
p.setGravity(0, 0, -9.81)
p.setPhysicsEngineParameter(fixedTimeStep=1.0 / 240.0, numSolverIterations=50)
plane = p.createCollisionShape(p.GEOM_PLANE)
p.createMultiBody(0, plane)
robot = p.loadURDF(urdf, [0, 0, 0.42], useFixedBase=False)
joints = [j for j in range(p.getNumJoints(robot)) if p.getJointInfo(robot, j)[2] == p.JOINT_REVOLUTE]
assert len(joints) == 12, len(joints)
effort = [p.getJointInfo(robot, j)[10] for j in joints]
pose = np.array([-0.1, 0.8, -1.5, 0.1, 0.8, -1.5, -0.1, 1.0, -1.5, 0.1, 1.0, -1.5])
# Disable the default velocity motors so the PD below is the only actuation.
p.setJointMotorControlArray(robot, joints, p.VELOCITY_CONTROL, forces=[0.0] * 12)
rng = np.random.default_rng(0)


def reset():
    p.resetBasePositionAndOrientation(robot, [0, 0, 0.42], [0, 0, 0, 1])
    p.resetBaseVelocity(robot, [0, 0, 0], [0, 0, 0])
    for j, q in zip(joints, pose):
        p.resetJointState(robot, j, q, 0.0)


reset()
t0, steps, episodes, t = time.perf_counter(), 0, 0, 0
while steps < n:
    target = pose + 0.25 * rng.uniform(-1, 1, 12)
    for _ in range(4):
        states = p.getJointStates(robot, joints)
        q = np.array([s[0] for s in states])
        qd = np.array([s[1] for s in states])
        tau = np.clip(20.0 * (target - q) - 0.5 * qd, -np.array(effort), np.array(effort))
        p.setJointMotorControlArray(robot, joints, p.TORQUE_CONTROL, forces=tau.tolist())
        p.stepSimulation()
    pos, _ = p.getBasePositionAndOrientation(robot)
    obs = (pos, p.getJointStates(robot, joints))  # what an env returns, so it is timed too
    steps += 1
    t += 1
    if pos[2] < 0.12 or t >= 250:
        reset()
        episodes += 1
        t = 0
dt = time.perf_counter() - t0
print(f"pybullet A1: {steps / dt:.0f} env steps/s ({steps} control steps, 4 x 1/240 s each, {episodes} resets)")
