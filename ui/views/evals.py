"""Evals: run an eval set through the service (``python -m evals run --api URL --json`` as a
subprocess, with a progress bar fed by the runner's progress lines: the UI never imports the evals
package), the metrics of that run or of the latest saved report (shown once), and the review of
users' feedback into eval questions (``ui.feedback_review``)."""
from __future__ import annotations

import secrets
import threading

import streamlit as st

from ui import feedback_review, reports
from ui.api import ApiClient

HEADLINE = [("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr@10", "MRR@10"), ("answer_accuracy", "答案准确率"),
            ("refusal_accuracy", "拒答准确率"), ("latency_p50_ms", "p50 延迟 ms")]
# Only the project's own suites over the served (seed) index can be run from here: never a typed path.
SUITES = {
    "seeds-dev": "开发集 seeds-dev（种子文件上的问题）",
    "feedback": "用户反馈 feedback（已接受的反馈评测题）",
    "dialogues-tune": "多轮对话 dialogues-tune（追问）",
    "dialogues-test": "多轮对话 dialogues-test（追问，留出集）",
}


@st.cache_resource
def _run_lock() -> threading.Lock:
    """One eval run at a time for the whole UI process (each run is a CPU-heavy subprocess)."""
    return threading.Lock()


def _unwrap(result: dict) -> dict:
    """A suite run prints ``{suite: metrics}``: the metrics of its one suite."""
    if "overall" not in result and len(result) == 1:
        only = next(iter(result.values()))
        if isinstance(only, dict) and "overall" in only:
            return only
    return result


def show_metrics(result: dict) -> None:
    """Headline tiles for the whole set, then the table and chart per question type — each once."""
    result = _unwrap(result)
    overall = reports.overall_metrics(result)
    tiles = [(label, overall[key]) for key, label in HEADLINE if isinstance(overall.get(key), (int, float))]
    if tiles:
        cols = st.columns(len(tiles))
        for col, (label, value) in zip(cols, tiles):
            col.metric(label, f"{value:.0f}" if "ms" in label else f"{value:.3f}")
    per_type = reports.per_type_table(result)
    if per_type:
        st.markdown("**全部指标：总体与各问题类型**")
        rows = [{"类型": "overall（总体）", **{k: v for k, v in overall.items() if k != "类型"}}] + per_type["rows"]
        st.dataframe(rows, hide_index=True, width="stretch")
        if per_type["chart_metrics"]:
            import pandas as pd

            frame = pd.DataFrame(
                [{m: row.get(m) for m in per_type["chart_metrics"]} for row in per_type["rows"]],
                index=[row[per_type["key"]] for row in per_type["rows"]],
            ).astype(float)
            st.bar_chart(frame, stack=False, height=320)
    elif not tiles:
        rows = reports.metric_rows(result)
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        else:
            st.json(result, expanded=False)


def _show_report(report: reports.Report, with_metrics: bool) -> None:
    st.caption(f"报告目录：{report.path}" + (f" · 生成于 {report.created}" if report.created else ""))
    if with_metrics and report.data:
        show_metrics(report.data)
    if report.charts:
        with st.expander("图表"):
            charts = sorted(report.charts, key=lambda p: (p.stem != "chart_overall", p.name))
            cols = st.columns(2)
            for i, png in enumerate(charts):
                cols[i % 2].image(str(png), caption=png.stem.removeprefix("chart_"))
    if report.markdown:
        with st.expander("完整报告（Markdown）"):
            st.markdown(report.markdown)


def _run(client: ApiClient, args: list[str]) -> reports.Outcome:
    bar = st.progress(0.0, text="评测启动中（加载评测集）…")

    def report(p: reports.Progress) -> None:
        bar.progress(p.fraction, text=f"评测运行中：{p.done}/{p.total} 题")

    extra = list(args)
    if reports.can_chart():  # with matplotlib the run also leaves report.md, metrics.json and charts
        extra += ["--report", str(reports.reports_dir() / "latest")]
    outcome = reports.run_evals(client.base_url, api_key=client.api_key, extra_args=extra, on_progress=report)
    bar.empty()
    return outcome


def render(client: ApiClient, service_ok: bool) -> None:
    st.title("评测")
    available, why = reports.evals_available()
    if not available:
        st.info(f"评测模块不可用：{why}。本页需要仓库中的 evals 包（python -m evals run）。")
    suite = st.selectbox("评测集", list(SUITES), format_func=SUITES.get, key="eval-suite")
    authorised = True
    if client.api_key:
        # the page starts CPU-heavy runs: with an API key set, only its holders may
        given = st.text_input("API 密钥（服务设置了密钥，运行评测需要它）", type="password", key="eval-key")
        authorised = bool(given) and secrets.compare_digest(given.encode(), client.api_key.encode())
        if given and not authorised:
            st.error("API 密钥不正确。")
    run_clicked = st.button("用当前服务运行评测", key="run-evals", icon=":material/play_arrow:",
                            disabled=not (available and service_ok and authorised),
                            help=f"python -m evals run --api {client.base_url} --suite {suite} --json")
    if available and not service_ok:
        st.caption(f"服务未连接（{client.base_url}），无法运行评测。")
    if run_clicked:
        lock = _run_lock()
        if not lock.acquire(blocking=False):
            st.warning("已有一个评测正在运行（每次只运行一个），请稍后再试。")
        else:
            try:
                st.session_state["eval_outcome"] = _run(client, ["--suite", suite])
            finally:
                lock.release()
    outcome = st.session_state.get("eval_outcome")
    fresh = outcome is not None and outcome.ok
    if outcome is not None:
        if outcome.ok:
            st.success(f"评测完成，用时 {outcome.seconds:.0f} s。")
            with st.container(key="eval-metrics"):
                show_metrics(outcome.data or {})
        else:
            st.error(f"评测失败：{outcome.error}")
            if outcome.stderr:
                with st.expander("错误输出"):
                    st.code(outcome.stderr[-4000:], language=None)

    st.divider()
    st.subheader("最新报告")
    report = reports.latest_report()
    if report is None:
        st.info(f"尚无评测报告（在 {reports.reports_dir()} 下没有找到）。运行 make eval 或上面的按钮生成。")
    else:
        # after a run the metrics are shown above; the report adds its charts and text only
        with st.container(key="eval-report"):
            _show_report(report, with_metrics=not fresh)

    st.divider()
    feedback_review.render(client, service_ok)
