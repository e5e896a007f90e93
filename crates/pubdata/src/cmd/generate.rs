//! `pubdata generate population|enterprises --rows N [--seed S] [--out FILE]`:
//! deterministic synthetic CSV for demos and benchmarks.

use std::io::Write;
use std::process::ExitCode;

use pubdata_service::demo::synth;

#[derive(clap::Subcommand)]
pub enum GenerateCmd {
    /// Natural persons with valid 身份证号 in 清远市's eight counties.
    Population(GenArgs),
    /// Enterprises with valid 统一社会信用代码.
    Enterprises(GenArgs),
}

#[derive(clap::Args)]
pub struct GenArgs {
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file; standard output when absent.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

pub async fn run(c: GenerateCmd) -> anyhow::Result<ExitCode> {
    let (args, population) = match &c {
        GenerateCmd::Population(a) => (a, true),
        GenerateCmd::Enterprises(a) => (a, false),
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p)?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    if population {
        synth::write_population(&mut out, args.rows, args.seed)?;
    } else {
        synth::write_enterprises(&mut out, args.rows, args.seed)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
