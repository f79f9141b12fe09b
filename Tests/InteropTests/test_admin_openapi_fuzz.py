#===----------------------------------------------------------------------===//
#
# This source file is part of the Swiftlet open source project
#
# Copyright (c) 2026 the Swiftlet authors
# Licensed under Apache License v2.0
#
# SPDX-License-Identifier: Apache-2.0
#
#===----------------------------------------------------------------------===//
"""The admin API against its own OpenAPI document, fuzzed by schemathesis (PyPI).

Every operation of docs/openapi.yaml gets generated requests, valid and invalid; the broker must
never answer 5xx, and every answer must have a documented status, content type and shape. A fixed
seed keeps the run the same from one CI run to the next. The broker must still be up afterwards.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO_ROOT

pytestmark = [pytest.mark.swiftlet_only]

TOKEN = "fuzz-admin-token-0123456789"


def test_admin_api_conforms_to_openapi_under_fuzzing(broker_factory):
    st = shutil.which("st")
    if st is None:
        pytest.fail("schemathesis is not installed (.ci/run installs it from PyPI)")
    b = broker_factory("--admin-token", TOKEN, "--access-key", "DEVICES:device-secret:device",
                       "--room", "live/# batch_ms=30")
    port = b.listener_port("admin")
    result = subprocess.run(
        [st, "run", str(REPO_ROOT / "docs" / "openapi.yaml"), "--url", f"http://127.0.0.1:{port}",
         "-H", f"Authorization: Bearer {TOKEN}", "--seed", "20261122", "--generation-deterministic",
         "--max-examples", "40", "--request-timeout", "10",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                     "response_schema_conformance",
         "--phases", "examples,coverage,fuzzing"],
        capture_output=True, text=True, timeout=240)
    summary = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, summary
    assert " generated, " in result.stdout and " passed" in result.stdout, summary
    assert b.alive(), "the broker died under fuzzing:\n" + "\n".join(b.log_since(0)[-30:])
