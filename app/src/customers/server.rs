//! The server side of the customer functions: thin, over policy and store.

use std::collections::HashSet;

use domain::export::{Columns, ExportFormat};
use domain::ids::CustomerId;
use domain::policy::{self, Shown, Sight, Viewer};
use domain::portfolio::{Filter, Search};
use domain::views::{ConflictView, CustomerListItem, CustomerQuery};
use sheet::{SheetWriter, WriteError};
use store::{MAX_PULL_PAGE, Pulled, User};

use super::CustomerDetail;
use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::state::AppState;

pub(super) async fn list(query: CustomerQuery) -> Result<Vec<CustomerListItem>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.list_customers(&user.viewer(), &query).await)
}

pub(super) async fn get(id: String) -> Result<CustomerDetail, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let (customer, sight) =
        answer(state.store.customer_for(&viewer, &id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    if policy::view_is_audited(&viewer, &customer, sight, Shown::Archive) {
        answer(
            state
                .store
                .record_audit(&viewer, "view_sensitive", Some((&id, viewer.team.as_deref())), None)
                .await,
        )?;
    }
    Ok(CustomerDetail { customer, masked: sight == Sight::Masked })
}

pub(super) async fn conflicts(id: String) -> Result<Vec<ConflictView>, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let (customer, sight) =
        answer(state.store.customer_for(&viewer, &id).await)?.ok_or_else(|| AppError::NotFound.respond())?;
    // A manager reading a phone number someone typed over is reading it.
    if policy::view_is_audited(&viewer, &customer, sight, Shown::Conflicts) {
        let detail = Some("conflicts".to_owned());
        let place = Some((id.as_str(), viewer.team.as_deref()));
        answer(state.store.record_audit(&viewer, "view_sensitive", place, detail).await)?;
    }
    Ok(store::conflicts_of(&customer))
}

pub(super) async fn duplicate_hints(
    fields: domain::archive::Fields,
) -> Result<Vec<domain::views::DuplicateHint>, AppError> {
    use domain::apply::{ApplyContext, apply};
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    // The draft as it would be created (checked and normalised like any create).
    let mut client = domain::mutation::Sequencer::new(viewer.user.clone());
    let change = domain::Change::Create { fields: Box::new(fields) };
    let mutation =
        client.next(domain::ids::CustomerId::new(), change, domain::time::Timestamp(store::now_millis()));
    let Ok((draft, _)) = apply(None, &mutation, &ApplyContext { version: 0, today: store::today() }) else {
        // A draft that would not be saved has nothing to compare yet.
        return Ok(Vec::new());
    };
    answer(state.store.duplicate_hints(&viewer, &draft).await)
}

/// An export of customers under way: the archives the user may see that
/// the list's filter selects, read a page at a time the way a pull reads
/// them (the same policy, the same masking, custom fields included) and
/// written as they come, so a large export streams from the first page.
pub struct CustomerExport {
    state: AppState,
    viewer: Viewer,
    filter: Filter,
    columns: Columns,
    writer: Option<SheetWriter>,
    cookie: Option<String>,
    // An archive edited while the export runs comes round again at its new
    // version; it is written once.
    seen: HashSet<CustomerId>,
    more: bool,
}

impl CustomerExport {
    /// Starts an export for `user`, audited before anything is read.
    pub async fn start(
        state: AppState,
        user: &User,
        filter: Filter,
        format: ExportFormat,
    ) -> Result<Self, AppError> {
        let viewer = user.viewer();
        let definitions = answer(state.store.custom_fields().await)?;
        let columns = Columns::new(&definitions);
        let writer = SheetWriter::new(format, "客户", &columns.header()).map_err(|e| failed(&viewer, e))?;
        let detail = serde_json::json!({ "format": format.wire(), "filter": filter }).to_string();
        answer(state.store.record_audit(&viewer, "export", None, Some(detail)).await)?;
        Ok(Self {
            state,
            viewer,
            filter,
            columns,
            writer: Some(writer),
            cookie: None,
            seen: HashSet::new(),
            more: true,
        })
    }

    /// The next bytes of the file, `None` once it is all sent.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, AppError> {
        let Some(writer) = self.writer.as_mut() else { return Ok(None) };
        if !self.more {
            let rows = writer.rows();
            let last = self.writer.take().map(SheetWriter::finish).transpose();
            tracing::info!(user = %self.viewer.user, rows, "customers exported");
            return last.map_err(|error| failed(&self.viewer, error));
        }
        let page = answer(self.state.store.pull(&self.viewer, self.cookie.as_deref(), MAX_PULL_PAGE).await)?;
        self.cookie = Some(page.cookie.to_string());
        self.more = page.more;
        let search = Search::new(&self.filter);
        for change in &page.changes {
            let Pulled::Put { customer, keys, .. } = change else { continue };
            if search.matches(customer, Some(keys)) && self.seen.insert(customer.id) {
                writer.row(&self.columns.row(customer)).map_err(|error| failed(&self.viewer, error))?;
            }
        }
        Ok(Some(writer.take_ready()))
    }
}

fn failed(viewer: &Viewer, error: WriteError) -> AppError {
    tracing::error!(%error, user = %viewer.user, "an export failed");
    AppError::Internal
}
