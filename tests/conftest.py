"""Test settings: hypothesis profiles (HYPOTHESIS_PROFILE=long for a deeper fuzz), with
hypothesis's example database outside the working tree."""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

DATABASE = DirectoryBasedExampleDatabase(Path(tempfile.gettempdir()) / "pooling-hypothesis")

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    database=DATABASE,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=None,
    database=DATABASE,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
