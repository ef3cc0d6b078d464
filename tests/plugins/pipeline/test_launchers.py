"""The ablation grid and the launchers that carry it: joblib locally, SLURM and Ray on clusters.

The cluster launchers' plugins are not installed here, so their configs are checked by
composition (target, resources, the sweep they run); joblib is exercised for real elsewhere.
"""

import pytest
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

from orchestrl.config import CONFIG_MODULE


@pytest.fixture
def compose_with_hydra(plugin_host):
    def _compose(*overrides):
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module=CONFIG_MODULE, version_base=None):
            return compose("config", overrides=list(overrides), return_hydra_config=True)

    yield _compose
    GlobalHydra.instance().clear()


def test_ablation_experiment_is_the_papers_grid_on_joblib(compose_with_hydra):
    cfg = compose_with_hydra("experiment=ablation")
    params = cfg.hydra.sweeper.params
    assert params.reward.split(",") == ["graduated", "atomic_only", "orch_only", "binary"]
    assert params.seed.split(",") == ["0", "1", "2"]
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert cfg.hydra.launcher.n_jobs == 2


@pytest.mark.parametrize(("launcher", "target"), [
    ("orchestrl_slurm", "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"),
    ("orchestrl_ray", "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"),
])
def test_cluster_launchers_carry_the_same_grid(compose_with_hydra, launcher, target):
    cfg = compose_with_hydra("experiment=ablation", f"hydra/launcher={launcher}")
    assert cfg.hydra.launcher._target_ == target
    assert cfg.hydra.sweeper.params.reward == "graduated,atomic_only,orch_only,binary"
    if launcher == "orchestrl_slurm":
        assert cfg.hydra.launcher.gpus_per_node == 8
        override = compose_with_hydra("experiment=ablation", f"hydra/launcher={launcher}",
                                      "hydra.launcher.partition=gpu")
        assert override.hydra.launcher.partition == "gpu"
    else:
        assert cfg.hydra.launcher.ray.remote.num_gpus == 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_joblib_runs_a_sweep_in_worker_processes(plugin_host, run_cli, tmp_path):
    result = run_cli("config", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                     "seed=11,12")
    assert result.exit_code == 0, result.stderr
    jobs = sorted((tmp_path / "outputs").glob("*/*/*/.hydra/config.yaml"))
    seeds = [next(ln for ln in p.read_text().splitlines() if ln.startswith("seed:")) for p in jobs]
    assert sorted(seeds) == ["seed: 11", "seed: 12"]
