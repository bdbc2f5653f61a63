"""`convene eval matching --set FILE`: loading a labelled set through profile parsing, the
report's figures beside the baseline, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.features.matching.labelled_set import SetError, eval_set, load_set
from models.embedder import MemoryVectorCache
from models.matching.evaluate import auc
from tests.fake_embedder import FakeEmbedder

SET = {
    "profiles": [
        {"member": 1, "name": "Ana", "roles": ["founder"], "headline": "Founder, soil sensors",
         "offers": "Soil moisture sensors for farms", "seeks": "A seed investor in hardware",
         "sectors": ["hardware"], "stage": "seed", "based_in": "Lisboa", "checks": "$1M"},
        {"member": 2, "name": "Bo", "roles": ["angel"], "headline": "Hardware seed investor",
         "offers": "Seed investor in hardware and sensors", "seeks": "Hardware founders",
         "sectors": ["hardware", "space"], "stage": "seed", "serves": ["Europe"],
         "checks": "250-1500"},
        {"member": 3, "name": "Cy", "roles": ["investor"], "headline": "Hardware seed investor",
         "offers": "Seed investor in hardware and sensors", "seeks": "Hardware founders",
         "sectors": ["hardware"], "stage": "seed", "excludes": "We invest only in India.",
         "serves": ["India"], "checks": "250-1500"},
    ],
    "pairs": [[1, 2, "European hardware seed"]],
    "bad_pairs": [[1, 3, "India only"]],
}  # fmt: skip


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_a_set_is_parsed_as_members_type_it(tmp_path: Path) -> None:
    lset, warnings = load_set(write(tmp_path, SET))
    by_id = {p.member: p for p in lset.profiles}
    assert by_id[2].roles == {"investor"}  # "angel" is what members write
    assert by_id[2].serves == ("Europe",)
    assert by_id[1].region == "Lisboa"
    assert (by_id[1].check_min, by_id[1].check_max) == (1000, 1000)
    assert lset.excludes == {3: "We invest only in India."}
    assert warnings == ["member 2, sectors: 'space' is not a known value; left out"]


async def test_the_report_has_every_figure_beside_the_baseline(tmp_path: Path) -> None:
    lset, _ = load_set(write(tmp_path, SET))
    embedder = FakeEmbedder(cache=MemoryVectorCache())
    try:
        report = await eval_set(lset, embedder, details=True, split=True)
    finally:
        embedder.close()
    lines = report.splitlines()
    ours = next(line for line in lines if line.startswith("matcher"))
    base = next(line for line in lines if line.startswith("baseline "))
    for figure in ("recall@5", "hit@1", "AUC", "honesty failures"):
        assert figure in ours
        assert figure in base
    assert "recall@5 1.000" in ours
    assert "AUC 1.000" in ours  # the India-only fund is removed for a Lisbon founder
    assert "AUC 0.500" in base  # the baseline cannot tell the two identical funds apart
    assert any("1->3: Works only in India" in line for line in lines)


def test_auc_counts_ties_as_half() -> None:
    assert auc([1.0, 0.5], [0.5]) == pytest.approx(0.75)
    assert auc([float("-inf")], [float("-inf")]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"profiles": [\n  {"member": 1,,}]}', "is not JSON: line 2"),
        ({"profiles": [], "pairs": []}, "has no usable 'pairs'"),
        ({"profiles": [{"name": "x"}], "pairs": []}, "no numeric 'member'"),
    ],
)
def test_bad_files_get_one_clear_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, expected: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(SetError, match=expected.replace("'", ".")):
        load_set(path)
    assert main(["eval", "matching", "--set", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
