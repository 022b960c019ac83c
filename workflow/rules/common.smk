"""Shared set-up for the rule files: config checks that the JSON schema cannot express."""

import sys

sys.path.insert(0, str(REPO / "src"))

from harmhorizon.config import check_config  # noqa: E402

check_config(config)
