"""对照 in the Streamlit app (AppTest) against a real server over the two-law × two-version index of
tests/assistant/test_versions_api.py: the clause view and an answer's citation card offer
对照其他版本（N）; opened, it shows both texts side by side with the changes struck / underlined."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.assistant.test_versions_api import NEW, OLD, Q, api, pytestmark, versions_index  # noqa: F401 (fixtures)
from tests.ui.conftest import APP, EXAMPLE_QUESTION
from ui.format import diff_side_html

TIMEOUT_S = 60
DEL = re.compile(r"<del [^>]*>(.*?)</del>")
INS = re.compile(r"<ins [^>]*>(.*?)</ins>")


def _app(url: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("PQA_API_URL", url)
    monkeypatch.delenv("PQA_API_KEY", raising=False)
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


@pytest.fixture
def versioned_app(api, monkeypatch) -> AppTest:
    return _app(str(api.base_url).rstrip("/"), monkeypatch)


def _html(block) -> str:
    return "\n".join(m.value for m in block.markdown)


def _compare_expander(block):
    found = [e for e in block.expander if e.label.startswith("对照其他版本")]
    return found[0] if found else None


def test_clause_view_compares_with_the_other_version(versioned_app):
    versioned_app.query_params["page"] = "documents"
    versioned_app.query_params["clause"] = f"{OLD}/第三章/第二十二条"
    at = versioned_app.run()
    assert not at.exception and not at.error
    focus = at.container("clause-focus")
    exp = _compare_expander(focus)
    assert exp is not None and exp.label == "对照其他版本（1）"
    assert "<del " not in _html(exp)  # closed: nothing built yet
    at.session_state["cmp-focus"] = True  # what a click on the expander does
    at.run()
    assert not at.exception
    exp = _compare_expander(at.container("clause-focus"))
    shown = _html(exp)
    assert "2023年修正 · 现行有效 · 第二十二条" in shown.replace("\\", "")
    left, right = [m.value for m in exp.markdown if m.value.startswith("<div")]
    # 2016 (this clause) 满二年 … 基金会和社会团体 struck; 2023 满一年 … 办理 … 非营利性组织 underlined
    assert {"二", "基金会和社会团体"} <= set(DEL.findall(left)) and not INS.findall(left)
    assert {"一", "办理", "非营利性组织"} <= set(INS.findall(right)) and not DEL.findall(right)
    assert "依法登记满" in left and "依法登记满" in right
    assert any(c.value == "2023年修正 · 现行有效" for c in exp.caption)
    # its button opens the other version's clause
    at.button(key="cmp-open-focus-0").click().run()
    assert at.query_params.get("clause") == f"{NEW}/第三章/第二十二条"


def test_answer_card_offers_the_comparison(versioned_app):
    at = versioned_app.run()
    at.chat_input[0].set_value(Q).run()
    assert not at.exception, at.exception
    first = at.session_state["messages"][-1]["response"]["citations"][0]
    assert first["doc_id"] == NEW and first["version_label"] == "2023年修正"
    card = at.container("cite-1-1")
    exp = _compare_expander(card)
    assert exp is not None and exp.label == "对照其他版本（1）"
    at.session_state["cmp-1-1"] = True
    at.run()
    assert not at.exception
    exp = _compare_expander(at.container("cite-1-1"))
    assert "2016年公布 · 已被修改" in _html(exp).replace("\\", "")
    left, right = [m.value for m in exp.markdown if m.value.startswith("<div")]
    assert "办理" in DEL.findall(left) and "二" in INS.findall(right)  # from 2023 back to 2016


def test_unversioned_citation_has_no_comparison(api_url, monkeypatch):
    at = _app(api_url, monkeypatch).run()
    at.chat_input[0].set_value(EXAMPLE_QUESTION).run()
    assert not at.exception
    assert at.session_state["messages"][-1]["response"]["found"]
    assert _compare_expander(at.container("cite-1-1")) is None


def test_diff_side_html_escapes_every_text():
    segments = [{"op": "equal", "text": "<b>第一条</b>"}, {"op": "delete", "text": "<script>x</script>"},
                {"op": "insert", "text": "a&b\n二"}, {"op": "bogus", "text": "<i>"}, "junk"]
    old, new = diff_side_html(segments, "old"), diff_side_html(segments, "new")
    assert "<script>" not in old and "&lt;script&gt;x&lt;/script&gt;" in old and "&lt;b&gt;第一条&lt;/b&gt;" in old
    assert "<ins " not in old and "a&amp;b<br>二" in new and "<del " not in new and "<i>" not in old + new


def test_document_list_filters_by_validity_and_shows_the_version(versioned_app):
    versioned_app.query_params["page"] = "documents"
    at = versioned_app.run()
    assert not at.exception and not at.error
    box = at.multiselect(key="doc-filter-validity")
    assert set(box.options) == {"现行有效", "已被修改"}
    assert len([b for b in at.button if (b.key or "").startswith("doc-open-")]) == 4
    at = box.set_value(["现行有效"]).run()
    assert not at.exception
    assert len([b for b in at.button if (b.key or "").startswith("doc-open-")]) == 2
    shown = "\n".join(m.value for m in at.main.markdown)
    assert "2023年修正" in shown and "2016年公布" not in shown and "效力</b>：现行有效" in shown
