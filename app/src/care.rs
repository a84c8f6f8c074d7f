//! Customer care by email (客户关怀), for admins: the birthday greeting's
//! words, quiet hours and the monthly cap, and the outbox (what waits,
//! what was sent, what failed and can be sent again).

mod api;
mod page;
#[cfg(feature = "ssr")]
mod server;
pub(crate) mod texts;

pub use api::{CareView, LoadCare, RetryMail, SaveCareSettings, load_care, retry_mail, save_care_settings};
pub use page::CarePage;
pub use texts::CareTexts;
