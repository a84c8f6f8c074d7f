//! The rep's start page: what needs doing today across their portfolio.

mod page;

pub use page::TodayPage;
