//! Case lists: the cases the caller's organisations must answer and those
//! they asked of others (dashboard), as table rows.
use minijinja::{Value, context};
use pubdata_service::catalog::CaseView;
use pubdata_service::{Principal, ServiceError};

use crate::AppState;
use crate::extract::Lang;

/// A case for a table row: kind, link, due date, time left.
fn case_row(lang: Lang, c: &CaseView) -> Value {
    let title = c
        .subject_title
        .clone()
        .unwrap_or_else(|| c.case.subject.clone());
    let d = c.deadline.as_ref();
    context! {
        kind => lang.pick(c.case.kind.zh(), c.case.kind.en()),
        link => c.subject_link.clone(),
        title => title,
        due => c.case.due_on.to_string(),
        left => d.and_then(|d| d.working_days_left),
        overdue => d.is_some_and(|d| d.overdue),
    }
}

/// Pending and outgoing cases for the dashboard.
pub async fn dashboard_cases(
    s: &AppState,
    p: &Principal,
    lang: Lang,
) -> Result<(Vec<Value>, Vec<Value>), ServiceError> {
    let pending = s.app.pending_cases(p).await?;
    let outgoing = s.app.outgoing_cases(p).await?;
    Ok((
        pending.iter().map(|c| case_row(lang, c)).collect(),
        outgoing.iter().map(|c| case_row(lang, c)).collect(),
    ))
}

/// A case outcome as people read it.
pub(crate) fn outcome_name(lang: Lang, o: &str) -> &'static str {
    match o {
        "approved" => lang.pick("审核通过", "approved"),
        "returned" => lang.pick("退回", "returned"),
        "submitted" => lang.pick("已提交更新", "update submitted"),
        "delisted" => lang.pick("已下架", "delisted"),
        "agreed" => lang.pick("部门同意", "agreed"),
        "disagreed" => lang.pick("未达成一致", "not agreed"),
        "decided" => lang.pick("本级人民政府已决定", "decided by the government"),
        _ => lang.pick("已办结", "closed"),
    }
}
