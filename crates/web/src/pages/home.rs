//! The dashboard of the caller's organisation.
use axum::extract::State;
use minijinja::context;
use pubdata_domain::calendar::WorkingDays;
use pubdata_domain::calendar::today_cst;
use pubdata_service::policy::Action;

use super::{PageCaller, PageResult, base};
use crate::AppState;
use crate::extract::Lang;

/// Time limits of the measures, in working days, shown for reference.
const REFERENCE_DAYS: &[WorkingDays] = &[
    WorkingDays::of(2),
    WorkingDays::of(3),
    WorkingDays::of(5),
    WorkingDays::of(10),
    WorkingDays::of(15),
];

pub async fn page(State(s): State<AppState>, PageCaller(p): PageCaller, lang: Lang) -> PageResult {
    let cal = s.app.calendar();
    let today = today_cst();
    let deadlines: Vec<_> = REFERENCE_DAYS
        .iter()
        // A date beyond the years with a schedule is shown as none.
        .map(|d| context! { days => d, date => cal.add_working_days(today, *d).ok().map(|x| x.to_string()) })
        .collect();
    let tree = s.app.org_tree().await?;
    let roles: Vec<_> = p
        .roles
        .iter()
        .map(|g| {
            let org_name = tree.get(g.org_id).map(|o| o.name.clone());
            let name = lang.pick(g.role.zh(), g.role.en());
            context! { name => name, org_name => org_name }
        })
        .collect();
    let level_name = p
        .org
        .as_ref()
        .and_then(|o| o.level)
        .map(|l| lang.pick(l.zh(), l.en()));
    let (pending, outgoing) = super::cases::dashboard_cases(&s, &p, lang).await?;
    // Stale datasets are listed for a supervisor or the caller's own
    // organisation; someone acting for none has no such list.
    let stale = if p.org_id().is_some() || s.app.can(&p, Action::Supervise).await {
        s.app.stale_datasets(&p).await?
    } else {
        vec![]
    };
    let stale: Vec<_> = stale
        .into_iter()
        .take(20)
        .map(|v| context! { id => v.dataset.id, name => v.dataset.name, org => v.org_name })
        .collect();
    // From October, when the State Council publishes next year's schedule,
    // the calendar's keepers are told it is still missing.
    let calendar_gap = match s.app.calendar_next_year_missing() {
        Some(y)
            if chrono::Datelike::month(&today) >= 10
                && s.app.can(&p, Action::ManageCalendar).await =>
        {
            Some(y)
        }
        _ => None,
    };
    let ctx = context! {
        calendar_gap => calendar_gap,
        pending => pending,
        stale => stale,
        outgoing => outgoing,
        org => p.org.clone(),
        level_name => level_name,
        roles => roles,
        today => today.to_string(),
        today_working => cal.is_working_day(today).unwrap_or(false),
        deadlines => deadlines,
        ..base(&s, &p, lang, "/").await
    };
    Ok(s.templates.render("home.html", ctx))
}
