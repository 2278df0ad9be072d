"""Evals: run the dev set through the service (``python -m evals run --api URL --json`` as a
subprocess: the UI never imports the evals package) or load the latest saved report."""
from __future__ import annotations

import streamlit as st

from ui import reports
from ui.api import ApiClient


HEADLINE = [("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr@10", "MRR@10"), ("answer_accuracy", "答案准确率"),
            ("refusal_accuracy", "拒答准确率"), ("latency_p50_ms", "p50 延迟 ms")]


def _show_metrics(result: dict) -> None:
    overall = reports.overall_metrics(result)
    tiles = [(label, overall[key]) for key, label in HEADLINE if isinstance(overall.get(key), (int, float))]
    if tiles:
        cols = st.columns(len(tiles))
        for col, (label, value) in zip(cols, tiles):
            col.metric(label, f"{value:.0f}" if "ms" in label else f"{value:.3f}")
    per_type = reports.per_type_table(result)
    if per_type:
        st.subheader("指标（总体与各问题类型）")
        rows = [{"类型": "overall（总体）", **{k: v for k, v in overall.items() if k != "类型"}}] + per_type["rows"]
        st.dataframe(rows, hide_index=True, width="stretch")
        if per_type["chart_metrics"]:
            import pandas as pd

            st.subheader("各问题类型")
            frame = pd.DataFrame(
                [{m: row.get(m) for m in per_type["chart_metrics"]} for row in per_type["rows"]],
                index=[row[per_type["key"]] for row in per_type["rows"]],
            ).astype(float)
            st.bar_chart(frame, stack=False, height=320)
    else:
        rows = reports.metric_rows(result)
        if rows:
            st.subheader("指标")
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.json(result, expanded=False)


def _show_report(report: reports.Report) -> None:
    st.caption(f"报告目录：{report.path}" + (f" · 生成于 {report.created}" if report.created else ""))
    if report.data:
        _show_metrics(report.data)
    if report.charts:
        st.subheader("图表")
        charts = sorted(report.charts, key=lambda p: (p.stem != "chart_overall", p.name))
        cols = st.columns(2)
        for i, png in enumerate(charts):
            cols[i % 2].image(str(png), caption=png.stem.removeprefix("chart_"))
    if report.markdown:
        with st.expander("完整报告（Markdown）", expanded=not report.data):
            st.markdown(report.markdown)


def render(client: ApiClient, service_ok: bool) -> None:
    st.title("评测")
    available, why = reports.evals_available()
    if not available:
        st.info(f"评测模块不可用：{why}。本页需要仓库中的 evals 包（python -m evals run）。")
    with st.expander("选项"):
        eval_set = st.text_input("评测集（JSON Lines，相对仓库根目录）", value="evals/dev.jsonl", key="eval-set")
    col_run, _ = st.columns(2)
    run_clicked = col_run.button("用当前服务运行评测", key="run-evals", icon=":material/play_arrow:",
                                 disabled=not (available and service_ok),
                                 help=f"python -m evals run --api {client.base_url} --json")
    if available and not service_ok:
        col_run.caption(f"服务未连接（{client.base_url}），无法运行评测。")
    if run_clicked:
        with st.spinner("评测运行中（全部开发集问题，可能需要几分钟）…"):
            # With matplotlib the run also leaves report.md, metrics.json and charts in latest/.
            extra = ["--set", eval_set] if eval_set.strip() else []
            if reports.can_chart():
                extra += ["--report", str(reports.reports_dir() / "latest")]
            outcome = reports.run_evals(client.base_url, api_key=client.api_key, extra_args=extra)
        st.session_state["eval_outcome"] = outcome
    outcome = st.session_state.get("eval_outcome")
    if outcome is not None:
        if outcome.ok:
            st.success(f"评测完成，用时 {outcome.seconds:.0f} s。")
            _show_metrics(outcome.data or {})
        else:
            st.error(f"评测失败：{outcome.error}")
            if outcome.stderr:
                with st.expander("错误输出"):
                    st.code(outcome.stderr[-4000:], language=None)

    report = reports.latest_report()
    st.divider()
    st.subheader("最新报告")
    if report is None:
        st.info(f"尚无评测报告（在 {reports.reports_dir()} 下没有找到）。运行 make eval 或上面的按钮生成。")
        return
    _show_report(report)
