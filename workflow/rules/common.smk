"""Shared set-up for the rule files: config checks that the JSON schema cannot express."""

import sys

sys.path.insert(0, str(REPO / "src"))

from harmhorizon.config import check_config  # noqa: E402

check_config(config)

# Intra-op threads of every torch rule: part of the numerics, so fixed by config and never by --cores
# (src/harmhorizon/numerics.py). A rule declares it as `threads` for the scheduler and passes it as a param.
TORCH_THREADS = config["torch_threads"]
