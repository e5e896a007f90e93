//! `pubdata user create-admin`: the first platform administrator of a fresh
//! deployment (`serve` never creates accounts).

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use pubdata_service::App;
use pubdata_service::orgs::{CreateOrg, CreateUser};

use super::{DbArgs, open_db};

#[derive(clap::Subcommand)]
pub enum UserCmd {
    /// Create a platform administrator. The password is read from the first
    /// line of standard input.
    CreateAdmin {
        username: String,
        /// Code of the organisation the administrator belongs to; created as
        /// a city-level region when it does not exist.
        #[arg(long)]
        org: String,
        /// Name for the organisation when it is created.
        #[arg(long)]
        org_name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(c: UserCmd) -> anyhow::Result<ExitCode> {
    match c {
        UserCmd::CreateAdmin {
            username,
            org,
            org_name,
            db,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                bail!("give the password on standard input");
            }
            let app = App::new(open_db(&db).await?).await?;
            let system = pubdata_service::Principal::system();
            let org = match app.org_by_code(&org).await? {
                Some(o) => o,
                None => {
                    app.create_org(
                        &system,
                        CreateOrg {
                            name: org_name.unwrap_or_else(|| org.clone()),
                            code: org,
                            name_en: None,
                            kind: "region".into(),
                            level: Some("city".into()),
                            parent_id: None,
                            division_code: None,
                        },
                    )
                    .await?
                }
            };
            let u = app
                .create_user(
                    &system,
                    CreateUser {
                        username,
                        display_name: "平台管理员".into(),
                        password,
                        kind: None,
                        org_id: Some(org.id),
                        roles: vec!["platform_admin".into()],
                    },
                )
                .await?;
            println!(
                "created platform administrator `{}` (id {}) in {}",
                u.user.username, u.user.id, org.name
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
