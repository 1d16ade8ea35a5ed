//! The dashboard: SVG bar charts the console draws itself (geometry in [`crate::chart`]):
//! chats per hour, mean waiting and first-response times, each agent's load, and calls and
//! spend per day from CALL's records. Each chart has a `<title>` and an `aria-label`, each bar
//! its figure, and a table of the numbers behind it follows the drawing.

use leptos::prelude::*;

use super::calls::CallsView;
use crate::app::App;
use crate::chart::{self, bars, figure, money};

#[derive(Clone, Debug, serde::Deserialize)]
struct AgentLoad {
    name: String,
    open: u32,
    served_today: u32,
}

#[derive(Clone, Debug, serde::Deserialize)]
struct Dashboard {
    chats_per_hour: Vec<u32>,
    mean_wait_secs: Option<f64>,
    mean_first_response_secs: Option<f64>,
    agents: Vec<AgentLoad>,
}

/// One bar chart: the drawing, then the table of its numbers.
fn bar_chart(
    title: String,
    hook: &'static str,
    values: Vec<(String, f64)>,
    fmt: fn(f64) -> String,
) -> impl IntoView {
    let (top, drawn) = bars(&values);
    let box_ = format!("0 0 {} {}", chart::WIDTH, chart::HEIGHT);
    let foot = n(chart::HEIGHT - 4.0);
    let base = n(chart::HEIGHT - chart::FOOT);
    // Labels under every bar when there is room, else under every few.
    let every = drawn.len().div_ceil(12).max(1);
    view! {
        <figure class="c-chart" data-c=hook>
            <svg viewBox=box_ role="img" aria-label=title.clone() width="100%"
                preserveAspectRatio="xMidYMid meet">
                <title>{title.clone()}</title>
                <text x="2" y="10" class="c-axis" data-c="chart-top">{fmt(top)}</text>
                <line x1="0" x2=n(chart::WIDTH) y1=base.clone() y2=base class="c-axis"/>
                {drawn.into_iter().enumerate().map(|(i, b)| {
                    let cx = n(b.x + b.w / 2.0);
                    let (fig_y, foot) = (n(b.y - 2.0), foot.clone());
                    let tip = format!("{}: {}", b.label, fmt(b.value));
                    view! {
                        <g>
                            <rect data-c="bar" data-label=b.label.clone() data-value=b.value.to_string()
                                x=n(b.x) y=n(b.y) width=n(b.w) height=n(b.h) class="c-bar">
                                <title>{tip}</title>
                            </rect>
                            {(b.value > 0.0).then(|| view! {
                                <text x=cx.clone() y=fig_y text-anchor="middle" class="c-fig">{fmt(b.value)}</text>
                            })}
                            {(i % every == 0).then(|| view! {
                                <text x=cx y=foot text-anchor="middle" class="c-axis">{b.label.clone()}</text>
                            })}
                        </g>
                    }
                }).collect_view()}
            </svg>
            <figcaption>{title}</figcaption>
            <details><summary>"#"</summary>
                <table class="c-table" data-c="chart-numbers">
                    <tbody>{values.into_iter().map(|(l, v)| view! {
                        <tr><th scope="row">{l}</th><td>{fmt(v)}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// A coordinate as an SVG attribute.
fn n(v: f64) -> String {
    format!("{v:.2}")
}

fn money_fig(v: f64) -> String {
    money(v.round() as i64)
}

/// `MM-DD` of a day counted from 1970-01-01.
fn day_label(day: i64) -> String {
    let iso = super::calls::when(day * 86_400);
    iso.get(5..10).unwrap_or(&iso).to_owned()
}

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let chat = RwSignal::new(None::<Result<Dashboard, String>>);
    let calls = RwSignal::new(None::<Result<CallsView, String>>);
    let refresh = move || {
        super::load("/v1/console/dashboard".into(), chat);
        super::load("/v1/console/calls".into(), calls);
    };
    refresh();
    let chats = move |d: Dashboard| {
        let n = d.chats_per_hour.len();
        let per_hour = d
            .chats_per_hour
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("-{}h", n - 1 - i), f64::from(*c)))
            .collect();
        let times = vec![
            (a.mean_wait.to_owned(), d.mean_wait_secs.unwrap_or(0.0)),
            (
                a.mean_first_response.to_owned(),
                d.mean_first_response_secs.unwrap_or(0.0),
            ),
        ];
        let open = d
            .agents
            .iter()
            .map(|g| (g.name.clone(), f64::from(g.open)))
            .collect();
        let served = d
            .agents
            .iter()
            .map(|g| (g.name.clone(), f64::from(g.served_today)))
            .collect();
        view! {
            {bar_chart(a.chats_per_hour.to_owned(), "chart-chats", per_hour, figure)}
            {bar_chart(a.times_secs.to_owned(), "chart-times", times, figure)}
            {bar_chart(a.agent_load.to_owned(), "chart-load", open, figure)}
            {bar_chart(a.served_today.to_owned(), "chart-served", served, figure)}
        }
    };
    let money_charts = move |c: CallsView| {
        let per_day: Vec<(String, f64)> = c
            .per_day
            .iter()
            .map(|d| (day_label(d.day), f64::from(d.calls)))
            .collect();
        let spend = c
            .per_day
            .iter()
            .map(|d| (day_label(d.day), d.spend as f64))
            .collect();
        view! {
            {bar_chart(a.calls_per_day.to_owned(), "chart-calls", per_day, figure)}
            {bar_chart(a.spend_per_day.to_owned(), "chart-spend", spend, money_fig)}
        }
    };
    view! {
        <h2>{a.tab_dashboard}</h2>
        <button type="button" data-c="dashboard-refresh" on:click=move |_| refresh()>{a.refresh}</button>
        <div class="c-charts">
            {super::loaded(app, chat, chats)}
            {super::loaded(app, calls, money_charts)}
        </div>
    }
}
