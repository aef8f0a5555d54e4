"""The profiles hold how to run, the rules hold what each job needs (one source for each)."""
import yaml
from conftest import REPO

PROFILES = REPO / "workflow" / "profiles"


def test_profiles_set_no_per_rule_resources():
    for profile in sorted(PROFILES.glob("*/config.yaml")):
        settings = yaml.safe_load(profile.read_text())
        per_rule = {"set-resources", "set-threads", "set-resource-scopes"} & set(settings)
        assert not per_rule, f"{profile}: {sorted(per_rule)} repeat the rules' threads/resources"
        # cpus_per_task would override every rule's threads on SLURM
        assert "cpus_per_task" not in (settings.get("default-resources") or {}), profile
