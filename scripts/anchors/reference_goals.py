"""The goal sets of the field's sparse benchmarks, drawn by NumPy exactly as the reference code
draws them (the lines are quoted from it), for tests/reference_goals.rs.

- oyster rlkit/envs/point_robot.py, SparsePointEnv.__init__ (randomize_tasks=True, n_tasks=100
  from configs/sparse-point-robot.json): np.random.seed(1337); radius 1.0;
  angles = np.linspace(0, np.pi, num=n_tasks); goals = np.stack([xs, ys], axis=1);
  np.random.shuffle(goals). Train tasks are the first 80, test the last 20.
- HFR rlkit/envs/ant_goal.py, AntGoalEnv.__init__ -> MultitaskAntEnv.__init__ ->
  sample_tasks(n_tasks=130 from configs/ant-goal.json): np.random.seed(1); radius 2.0; the same
  linspace / stack / shuffle. Train tasks the first 100, test the last 30.

- HFR rlkit/envs/half_cheetah_vel.py, HalfCheetahVelEnvSparse.sample_tasks (n_tasks=130 from
  configs/cheetah-vel-sparse.json): np.random.seed(1);
  velocities = np.random.uniform(0.0, 3.0, size=(num_tasks,)). Train the first 100, test the
  last 30.

Usage: reference_goals.py OUT.json
"""
import json
import sys

import numpy as np


def half_circle(seed, radius, n_tasks):
    np.random.seed(seed)
    angles = np.linspace(0, np.pi, num=n_tasks)
    xs = radius * np.cos(angles)
    ys = radius * np.sin(angles)
    goals = np.stack([xs, ys], axis=1)
    np.random.shuffle(goals)
    return goals.tolist()


out = {
    "generator": "scripts/anchors/reference-goals (scripts/anchors/reference_goals.py)",
    "numpy_version": np.__version__,
    "sparse-point-robot": dict(source="katerakelly/oyster rlkit/envs/point_robot.py SparsePointEnv.__init__",
                               seed=1337, radius=1.0, n_tasks=100, n_train=80,
                               goals=half_circle(1337, 1.0, 100)),
    "ant-goal-sparse": dict(source="michaelwan11/hfr rlkit/envs/ant_goal.py AntGoalEnv.sample_tasks",
                            seed=1, radius=2.0, n_tasks=130, n_train=100,
                            goals=half_circle(1, 2.0, 130)),
}
np.random.seed(1)
out["cheetah-vel-sparse"] = dict(source="michaelwan11/hfr rlkit/envs/half_cheetah_vel.py HalfCheetahVelEnvSparse.sample_tasks",
                                 seed=1, low=0.0, high=3.0, n_tasks=130, n_train=100,
                                 velocities=np.random.uniform(0.0, 3.0, size=(130,)).tolist())
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", sys.argv[1])
