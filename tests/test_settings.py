"""Settings: declared once, documented in docs/settings.md, overridable, validated."""

from __future__ import annotations

import re

import pytest

from sdsf_graph.errors import SettingsError
from sdsf_graph.settings import SETTINGS, load_settings

from .conftest import ROOT


def documented() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (ROOT / "docs" / "settings.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0] != "`setting`":
            rows[cells[0].strip("`")] = (cells[1], cells[3])
    return rows


def test_every_setting_is_documented_with_its_default_and_help():
    docs = documented()
    assert set(docs) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        default, help_text = docs[s.name]
        if s.name != "project_dir":
            shown = re.sub(r"`", "", default).replace(" (empty)", "")
            assert shown == str(s.default), s.name
        assert help_text.startswith(s.help), s.name


def test_environment_and_overrides():
    settings = load_settings({"port": "9001"}, environ={"SDSF_ENGINE": "rdflib", "SDSF_PORT": "8001"})
    assert settings.engine == "rdflib" and settings.port == 9001


@pytest.mark.parametrize("overrides", [{"engine": "sqlite"}, {"base_iri": "https://x.org/no-slash"},
                                       {"port": "eighty"}, {"colour": "red"}])
def test_bad_settings_are_refused(overrides):
    with pytest.raises(SettingsError):
        load_settings(overrides, environ={})
