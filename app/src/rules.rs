//! Workflow rules (自动化工作流程), for admins: build a rule from a trigger,
//! conditions and actions, preview its firings, switch it on, read its run log.

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{
    DeleteRule, LoadRules, PreviewRule, RuleLog, RulesView, SaveRule, delete_rule, load_rules, preview_rule,
    rule_log, save_rule,
};
pub use page::RulesPage;
pub use texts::RulesTexts;
