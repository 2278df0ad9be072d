"""UI helpers without a server: Markdown safety, highlighting, basket, export, reports, client."""
from __future__ import annotations

import ast
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document

from ui import basket, conversations, feedback, identity, nav
from ui.api import (MAX_QUESTION, ApiClient, ServiceError, ServiceUnavailable, _attachment_name, build_filters, clause_path,
                    document_path, format_detail)
from ui.export import docx_text, to_docx, to_markdown
from ui.format import (answer_html, check_question, escape_md, followup_caption, highlight_html, markers,
                       quote_spans)
from ui.reports import latest_report, metric_rows, parse_json_output, per_type_table
from ui.uploads import problem_message, reason_text, status_label, submit_upload

REPO = Path(__file__).resolve().parents[2]

CITATION = {
    "clause_id": "003/一/（二）",
    "doc_id": "003",
    "doc_title": "贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）",
    "doc_number": None,
    "jurisdiction": "贵州省",
    "source": "003_f5b1b6779f8b2705.txt",
    "label": "（二）",
    "path": ["一、总体要求"],
    "text": "到2025年，每千人口拥有3岁以下婴幼儿托位数4.5个，床位数*达到*7张。",
    "quote": "每千人口拥有3岁以下婴幼儿托位数4.5个",
    "quote_spans": [[7, 27]],
    "lines": [20, 22],
    "cite": "《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》“一、总体要求”（二）：“……每千人口拥有3岁以下婴幼儿托位数4.5个……”",
}


def test_ui_never_imports_indexer_assistant_or_evals():
    for path in (REPO / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"indexer", "assistant", "evals"}, f"{path} imports {name}"


def test_escape_md_keeps_numbers_and_defuses_markup():
    assert escape_md("托位数4.5个") == "托位数4.5个"
    assert escape_md("1. 第一项") == "1\\. 第一项"
    assert escape_md("a*b*_c_ <b>x</b> $5$") == "a\\*b\\*\\_c\\_ &lt;b&gt;x&lt;/b&gt; \\$5\\$"
    assert "](" not in escape_md("[1](javascript:x)")
    assert escape_md("# 标题") == "\\# 标题"


def test_highlight_prefers_service_spans_and_falls_back_to_quote():
    text = CITATION["text"]
    marked = highlight_html(text, CITATION["quote"], CITATION["quote_spans"])
    assert "<mark>每千人口拥有3岁以下婴幼儿托位数4.5个</mark>" in marked
    assert "\\*达到\\*" in marked
    assert highlight_html(text, CITATION["quote"]) == marked
    # bad spans are ignored; a quote with an elision is found piece by piece
    assert "<mark>" in highlight_html(text, CITATION["quote"], [[0, 999]])
    assert quote_spans(text, "到2025年……床位数") == [(0, 6), (text.index("床位数"), text.index("床位数") + 3)]
    assert highlight_html(text, "不在文中") == escape_md(text)


def test_answer_markers():
    html = answer_html("托位数4.5个[1]；床位7张[2]。")
    assert "<sup><b>[1]</b></sup>" in html and "<sup><b>[2]</b></sup>" in html and "4.5" in html
    assert markers("a[2]b[1]c[2]") == [2, 1]


def test_markdown_and_docx_export_hold_cite_quote_and_text():
    items = [CITATION, dict(CITATION, clause_id="x/1", quote="床位数*达到*7张", cite="《另一文件》第1项：“床位数”")]
    stamp = datetime(2025, 1, 2, 3, 4)
    md = to_markdown(items, now=stamp)
    assert md.startswith("# 引文清单") and "共 2 条，生成于 2025-01-02 03:04" in md
    assert f"## 1. 《{CITATION['doc_title']}》 一、总体要求 › （二）" in md
    assert f"- 引文：{CITATION['cite']}" in md and "> 每千人口拥有3岁以下婴幼儿托位数4.5个" in md
    assert md.index("## 1.") < md.index("## 2.")
    data = to_docx(items, now=stamp)
    doc = Document(io.BytesIO(data))
    text = docx_text(data)
    assert "引文清单" in text and CITATION["cite"] in text and "“每千人口拥有3岁以下婴幼儿托位数4.5个”" in text
    # a human 出处 (《title》 and where in it), never the internal file name (issue 10)
    assert f"出处：《{CITATION['doc_title']}》" in text and "003_f5b1b6779f8b2705.txt" not in text
    assert [p.style.name for p in doc.paragraphs if p.text.startswith("“")] == ["Quote", "Quote"]
    assert doc.core_properties.title == "引文清单"


def test_client_reports_unreachable_service_with_url():
    client = ApiClient("http://127.0.0.1:9/", timeout=2)
    with pytest.raises(ServiceUnavailable) as info:
        client.health()
    assert info.value.url == "http://127.0.0.1:9/health"


def test_client_helpers():
    assert clause_path("003/一/（二）") == "/clauses/003%2F%E4%B8%80%2F%EF%BC%88%E4%BA%8C%EF%BC%89"
    assert build_filters() is None
    assert build_filters(["003"], ["贵州省"], 2021, 2025) == {
        "documents": ["003"], "jurisdiction": "贵州省", "year_from": 2021, "year_to": 2025}
    assert build_filters(jurisdictions=["贵州省", "安顺市平坝区"])["jurisdiction"] == ["贵州省", "安顺市平坝区"]
    assert format_detail([{"loc": ["body", "question"], "msg": "too long"}]) == "question: too long"


def test_reports_tables_and_latest(tmp_path):
    metrics = {
        "overall": {"n": 10, "hit@1": 0.8, "answer_accuracy": 0.7, "refusal_accuracy": None},
        "by_type": {"numeric": {"n": 6, "hit@1": 0.9, "refusal_accuracy": None},
                    "unanswerable": {"n": 4, "hit@1": None, "refusal_accuracy": 1.0}},
        "top_k": 10,
    }
    rows = metric_rows(metrics)
    assert {"指标": "hit@1", "值": 0.8} in rows and all(r["指标"] != "by_type" for r in rows)
    table = per_type_table(metrics)
    assert [r["类型"] for r in table["rows"]] == ["numeric", "unanswerable"]
    assert table["chart_metrics"] == ["hit@1", "refusal_accuracy"]
    assert parse_json_output("progress…\n" + json.dumps(metrics, indent=2)) == metrics

    assert latest_report(tmp_path / "none") is None
    latest = tmp_path / "latest"
    latest.mkdir()
    (latest / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    (latest / "report.md").write_text("# report\n\n![chart](chart_overall.png)\n", encoding="utf-8")
    (latest / "chart_overall.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = latest_report(tmp_path)
    assert report.data == metrics and report.charts == [latest / "chart_overall.png"]
    assert "![chart]" not in report.markdown and "# report" in report.markdown


def test_library_status_labels_and_reasons():
    assert [status_label({"status": s}) for s in ("queued", "parsing", "embedding", "ready")] == [
        "排队中", "解析中", "向量化中", "可用"]
    assert status_label({"status": "failed", "reason": "binary file (NUL bytes)"}) == "失败（binary file (NUL bytes)）"
    assert status_label({"status": "failed", "reason": "no text"}) == "失败（没有可读取的文本）"
    assert status_label({"status": "failed"}) == "失败（原因未知）"
    assert status_label({"status": "queued"}, deleting=True) == "删除中（排队中）"
    assert status_label({"status": "ready"}, deleted=True) == "已删除"
    assert status_label(None) == "状态未知"
    assert reason_text("index not updated: disk full") == "索引未更新：disk full"


def test_library_error_messages_in_chinese():
    url = "http://x/documents"
    dup = ServiceError(url, 409, "the same file is already document u123", {"detail": "…", "doc_id": "u123"})
    assert problem_message(dup) == "已存在相同文件：文档 u123"
    busy = ServiceError(url, 409, "document u9 is still being processed", {"doc_id": "u9"})
    assert problem_message(busy, doc_id="u9") == "文档 u9 仍在处理中，请稍后再试"
    assert problem_message(ServiceError(url, 413, "the file is larger than 50 MB")) == "文件过大：超过服务允许的 50 MB"
    assert problem_message(ServiceError(url, 422, "the file is empty")) == "文件是空的"
    assert "不支持的文件类型" in problem_message(ServiceError(url, 415, "unsupported file type .pages"))
    assert problem_message(ServiceError(url, 503, "too many documents are waiting")) == "待索引的文档过多，请稍后再试"
    assert "未启用文档库" in problem_message(ServiceError(url, 503, "this service was started without a document library"))
    assert "无法连接问答服务" in problem_message(ServiceUnavailable(url, "连接失败"))


def test_library_upload_refused_before_sending_and_when_the_service_is_down():
    client = ApiClient("http://127.0.0.1:9", timeout=2)
    assert submit_upload(client, "a.pages", b"x").message.startswith("不支持的文件类型 .pages")
    assert submit_upload(client, "a.md", b"").message == "文件是空的"
    down = submit_upload(client, "dir/a.md", "第一条 内容。".encode())
    assert not down.ok and down.name == "a.md" and "无法连接问答服务" in down.message and "127.0.0.1:9" in down.message


def test_library_client_helpers():
    assert document_path("u1") == "/documents/u1" and document_path("a/b", "status") == "/documents/a%2Fb/status"
    assert ApiClient("http://h:1/").original_url("u1") == "http://h:1/documents/u1/original"
    assert _attachment_name("attachment; filename*=utf-8''%E6%B8%A9%E5%B7%9E.md") == "温州.md"
    assert _attachment_name('attachment; filename="a.md"') == "a.md" and _attachment_name("") is None


# --- issue 10: identity, server-side basket, conversations, feedback, question checks ----------------

DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port


def test_identity_keeps_the_session_id_then_the_cookie_then_makes_one():
    state: dict = {}
    made = identity.resolve(state, {}, None)
    assert identity.valid_user_id(made) and state[identity.STATE_KEY] == made
    assert identity.resolve(state, {identity.COOKIE: "cookie-id-123"}, None) == made  # the session's wins
    fresh: dict = {}
    assert identity.resolve(fresh, {identity.COOKIE: "cookie-id-123"}, None) == "cookie-id-123"
    for bad in ("short", "bad id with spaces", "x" * 65, "<script>abc</script>"):
        other: dict = {}
        uid = identity.resolve(other, {identity.COOKIE: bad}, None)
        assert uid != bad and identity.valid_user_id(uid)
    assert identity.resolve({}, {identity.COOKIE: "cookie-id-123"}, "secret-key") is None
    assert len({identity.new_user_id() for _ in range(200)}) == 200


def test_identity_cookie_script_and_session_client():
    script = identity.cookie_script("abcDEF_12-3")
    assert script.startswith("<script>") and '"pqa_uid=abcDEF_12-3; Max-Age=34560000; Path=/; SameSite=Lax"' in script
    with pytest.raises(ValueError):
        identity.cookie_script('x"; alert(1); "')
    client = identity.session_client({identity.STATE_KEY: "abcDEF_12-3"})
    assert client.user_id == "abcDEF_12-3" and client._headers()["X-PQA-User"] == "abcDEF_12-3"


def test_basket_helpers_snapshot_order_and_identity():
    snap = basket.snapshot(dict(CITATION, score=0.9, role="answer", pages=[3], ocr=True))
    assert "score" not in snap and "role" not in snap and snap["pages"] == [3] and snap["ocr"] is True
    assert snap["path"] == ["一、总体要求"] and set(snap) <= set(basket.FIELDS)
    assert basket.moved(["a", "b", "c"], 2, -1) == ["a", "c", "b"]
    assert basket.moved(["a", "b"], 0, -1) is None and basket.moved(["a"], 0, 0) is None
    state = {basket.KEY: [dict(snap, item_id="i1")]}
    assert basket.contains(state, CITATION) and not basket.contains(state, dict(CITATION, quote="另一句"))


def test_basket_keeps_its_local_copy_and_says_why_when_the_service_is_down():
    client = ApiClient(DEAD, timeout=2)
    kept = [dict(basket.snapshot(CITATION), item_id="i1"), dict(basket.snapshot(CITATION), item_id="i2", quote="b")]
    state = {basket.KEY: [dict(i) for i in kept]}
    assert basket.add(state, dict(CITATION, quote="新的一句"), client) is False
    assert basket.pop_error(state) == "加入引文篮失败：服务暂时不可用，请稍后再试。" and basket.pop_error(state) is None
    basket.move(state, 0, 1, client)
    basket.remove(state, 0, client)
    basket.clear(state, client)
    assert basket.items(state) == kept and "清空引文篮失败" in basket.pop_error(state)
    assert basket.refresh(state, client) is False and basket.items(state) == kept
    full = ServiceError("http://x/basket", 409, "basket is full (500 items)")
    assert "引文篮已满" in basket.problem_message("加入引文篮", full)


def test_question_check_blank_long_and_normal():
    assert check_question(None, MAX_QUESTION) == (None, None)
    assert check_question("  \n\t ", MAX_QUESTION)[0] is None and "不能为空白" in check_question(" ", 10)[1]
    ok = "托" * MAX_QUESTION
    assert check_question(f"  {ok}\n", MAX_QUESTION) == (ok, None)
    question, message = check_question(ok + "位", MAX_QUESTION)
    assert question is None and f"共 {MAX_QUESTION + 1} 字" in message and f"最多接受 {MAX_QUESTION} 字" in message
    assert MAX_QUESTION == 4000


def test_followup_caption_only_for_followups():
    assert followup_caption({"followup": True, "resolved_question": "平坝区2025年每千人口托位数目标"}) == \
        "按「平坝区2025年每千人口托位数目标」理解"
    assert followup_caption({"followup": False, "resolved_question": "x"}) is None
    assert followup_caption({"followup": True, "resolved_question": " "}) is None and followup_caption({}) is None


RESPONSE = {
    "answer": "每千人口拥有3岁以下婴幼儿托位数4.5个[1]。", "found": True, "resolved_question": "2025年托位数",
    "citations": [dict(CITATION, role="answer", marker=1),
                  dict(CITATION, clause_id="002/第三章/1", role="related", label="1.", text="相关条款正文")],
    "conversation_id": "c1", "turn_id": "t1", "followup": False,
}


def test_feedback_payload_and_clause_options():
    turn = {"question": "2025年托位数？", "response": RESPONSE, "turn_id": "t1"}
    body = feedback.payload("down", turn, conversation_id="c1", reason="数字不对",
                            correct_clause_id=" 003/一/（二） ", comment="  应为4.5  ")
    assert body == {"rating": "down", "question": "2025年托位数？", "resolved_question": "2025年托位数",
                    "answer": RESPONSE["answer"], "cited_clause_ids": ["003/一/（二）"], "conversation_id": "c1",
                    "turn_id": "t1", "reason": "数字不对", "correct_clause_id": "003/一/（二）", "comment": "应为4.5"}
    up = feedback.payload("up", {"question": "q", "response": {"found": False, "citations": RESPONSE["citations"]}})
    assert up["cited_clause_ids"] == [] and "reason" not in up and "turn_id" not in up
    with pytest.raises(ValueError):
        feedback.payload("down", turn, reason="不喜欢")
    with pytest.raises(ValueError):
        feedback.payload("meh", turn)
    options = feedback.clause_options(RESPONSE)
    assert list(options) == ["003/一/（二）", "002/第三章/1"] and options["002/第三章/1"].startswith("[2] 《")
    state: dict = {}
    for i in range(feedback.MAX_REMEMBERED + 5):
        feedback.remember(state, f"k{i}", {"rating": "up"})
    assert len(state[feedback.STATE]) == feedback.MAX_REMEMBERED and "k0" not in state[feedback.STATE]


def test_conversation_turns_become_messages_and_grow_locally():
    turns = [{"turn_id": "t1", "question": "2025年每千人口托位数目标是多少？", "resolved_question": "2025年每千人口托位数目标是多少？",
              "followup": False, "response": {"answer": "4.5个[1]", "found": True}},
             {"turn_id": "t2", "question": "那平坝区呢？", "resolved_question": "平坝区2025年每千人口托位数目标",
              "followup": True, "response": {"answer": "x", "found": True}}]
    messages = conversations.messages_from_turns(turns)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert followup_caption(messages[3]["response"]) == "按「平坝区2025年每千人口托位数目标」理解"
    assert messages[3]["turn_id"] == "t2" and messages[2]["content"] == "那平坝区呢？"
    state = {conversations.CURRENT: "c1", conversations.OBJECT: {"conversation_id": "c1", "title": "t", "turns": turns},
             conversations.MESSAGES: messages}
    conversations.append_turn(state, "2022年的呢？", dict(RESPONSE, turn_id="t3", followup=True))
    assert len(state["messages"]) == 6 and state["messages"][-1]["turn_id"] == "t3"
    assert state[conversations.OBJECT]["turns"][-1]["question"] == "2022年的呢？"
    conversations.switch(state, "c2")
    assert state[conversations.CURRENT] == "c2" and state["messages"] == [] and state[conversations.LOADED] is None
    assert conversations.export_name({"title": "托位/数? 目标", "updated_at": "2025-03-01T10:00:00"}) == \
        "对话-托位_数_目标-2025-03-01"


def test_url_holds_the_conversation_and_the_pick_mode():
    assert nav.wanted_params({"page": "ask", "conv_id": "c1"}) == {"page": "ask", "c": "c1"}
    assert nav.wanted_params({"page": "ask", "conv_id": None}) == {"page": "ask"}
    assert nav.wanted_params({"page": "documents", "conv_id": "c1", "doc_clause": "003/一", "pick_feedback": "f9"}) == {
        "page": "documents", "clause": "003/一", "pick": "f9"}
    assert nav.pick_link("f9") == "?page=documents&pick=f9"


def test_document_list_filter_words_widths_types_and_validity():
    from ui.views.documents import filter_documents

    docs = [
        {"doc_id": "a", "title": "中华人民共和国慈善法", "legal_type": "法律", "validity": "现行有效"},
        {"doc_id": "b", "title": "中华人民共和国慈善法", "legal_type": "法律", "validity": "已被修改"},
        {"doc_id": "c", "title": "托育机构管理规范", "doc_number": "国卫人口发〔2019〕58号", "legal_type": "规范性文件"},
        {"doc_id": "d", "title": "上海市养老服务条例", "issuer": "上海市人民代表大会常务委员会", "legal_type": "地方性法规"},
    ]
    ids = lambda out: [d["doc_id"] for d in out]  # noqa: E731
    assert ids(filter_documents(docs)) == ["a", "b", "c", "d"]
    assert ids(filter_documents(docs, "慈善")) == ["a", "b"]
    assert ids(filter_documents(docs, "〔２０１９〕５８号")) == ["c"]  # full-width digits find half-width ones
    assert ids(filter_documents(docs, "上海 常务委员会")) == ["d"]  # every word, in any field
    assert ids(filter_documents(docs, "上海 慈善")) == []
    assert ids(filter_documents(docs, "", ["法律", "地方性法规"])) == ["a", "b", "d"]
    assert ids(filter_documents(docs, "慈善", None, ["现行有效"])) == ["a"]
