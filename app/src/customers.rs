//! Customers: the list, one customer's page, the forms that create and
//! edit archives (as mutations through the replica), conflicts, and the
//! server functions for reading and exporting.

mod address;
mod api;
mod archive_search;
mod basics;
mod conflicts;
mod custom;
mod export;
mod forms;
mod list;
mod preferences;
mod reassign;
mod record;
#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::CustomerExport;

pub use api::{
    CustomerConflicts, CustomerDetail, GetCustomer, ListCustomers, customer_conflicts, get_customer,
    list_customers,
};
pub use forms::NewCustomerPage;
pub(crate) use forms::{category_options, stage_and_category_filters, stage_options};
pub use list::{CustomersLayout, NoSelection};
pub use record::CustomerPage;
