//! Figures derived from an archive's orders and interactions, shown at the
//! top of a customer page and used by analytics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::archive::Customer;
use crate::money::Currency;
use crate::time::Date;

/// What a customer's history adds up to, as of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Figures {
    /// Total spent, per currency, in minor units.
    pub total_spent: BTreeMap<Currency, i64>,
    /// Average order value per currency, in minor units, rounded half up.
    pub average_order: BTreeMap<Currency, i64>,
    /// Orders not removed.
    pub order_count: u32,
    /// The first order's date.
    pub first_order: Option<Date>,
    /// The last order's date.
    pub last_order: Option<Date>,
    /// Days from the last interaction or order to `today`.
    pub days_since_last_contact: Option<i64>,
    /// Average satisfaction over interactions and feedback that have one, in
    /// hundredths (4.25 is 425), so it stays an integer.
    pub satisfaction_x100: Option<u32>,
}

/// Computes the figures of `customer` as of `today` (removed items do not count).
pub fn figures(customer: &Customer, today: Date) -> Figures {
    let mut out = Figures::default();
    let mut counts: BTreeMap<Currency, i64> = BTreeMap::new();
    for order in customer.orders.values().filter(|i| !i.hidden()).map(|i| i.value()) {
        *out.total_spent.entry(order.amount.currency.clone()).or_default() += order.amount.minor;
        *counts.entry(order.amount.currency.clone()).or_default() += 1;
        out.order_count += 1;
        out.first_order = Some(out.first_order.map_or(order.date, |d| d.min(order.date)));
        out.last_order = Some(out.last_order.map_or(order.date, |d| d.max(order.date)));
    }
    for (currency, total) in &out.total_spent {
        let n = counts[currency];
        out.average_order.insert(currency.clone(), (2 * total + n) / (2 * n));
    }
    let mut last_contact = out.last_order;

    let mut scores = Vec::new();
    for interaction in customer.interactions.values().filter(|i| !i.hidden()).map(|i| i.value()) {
        last_contact = last_contact.max(Some(interaction.at.local_date()));
        scores.extend(interaction.satisfaction);
    }
    for feedback in customer.feedback.values().filter(|i| !i.hidden()).map(|i| i.value()) {
        scores.extend(feedback.satisfaction);
    }
    out.days_since_last_contact = last_contact.map(|d| d.days_until(today).max(0));
    if !scores.is_empty() {
        let sum: u32 = scores.iter().map(|&s| u32::from(s)).sum();
        let n = scores.len() as u32;
        out.satisfaction_x100 = Some((200 * sum + n) / (2 * n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Fields, Interaction, InteractionKind, ItemKind, Order};
    use crate::ids::{ClientId, CustomerId, ItemId, MutationId, UserId};
    use crate::money::Money;
    use crate::mutation::{Change, Mutation};
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, apply};

    fn date(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    /// Builds an archive the only way archives are built: by mutations.
    struct Builder {
        customer: Option<Customer>,
        id: CustomerId,
        client: ClientId,
        seq: u64,
    }

    impl Builder {
        fn new() -> Self {
            let mut b = Self { customer: None, id: CustomerId::new(), client: ClientId::new(), seq: 0 };
            b.change(Change::Create {
                fields: Box::new(Fields::named(CustomerName::parse("张三").unwrap())),
            });
            b
        }

        fn change(&mut self, change: Change) -> &mut Self {
            self.seq += 1;
            let m = Mutation {
                id: MutationId::new(),
                client: self.client,
                seq: self.seq,
                author: UserId("rep-a".into()),
                client_time: Timestamp(0),
                customer: self.id,
                change,
            };
            let ctx = ApplyContext { version: self.seq, today: date("2026-11-23") };
            self.customer = Some(apply(self.customer.as_ref(), &m, &ctx).unwrap().0);
            self
        }

        fn order(&mut self, amount: &str, day: &str) -> ItemId {
            let id = ItemId::new();
            let order = Order {
                product: "净水器".into(),
                quantity: 1,
                amount: Money::parse(amount, Currency::cny()).unwrap(),
                date: date(day),
                channel: None,
                ends_on: None,
            };
            self.change(Change::PutOrder { id, order, base: self.seq });
            id
        }

        fn visit(&mut self, at_ms: i64, satisfaction: Option<u8>) {
            let interaction = Interaction {
                kind: InteractionKind::Visit,
                at: Timestamp(at_ms),
                summary: "回访".into(),
                satisfaction,
                next_follow_up: None,
            };
            self.change(Change::PutInteraction { id: ItemId::new(), interaction, base: self.seq });
        }

        fn get(&self) -> &Customer {
            self.customer.as_ref().unwrap()
        }
    }

    #[test]
    fn a_customer_with_no_history_has_empty_figures() {
        assert_eq!(figures(Builder::new().get(), date("2026-11-23")), Figures::default());
    }

    #[test]
    fn orders_add_up_and_removed_ones_do_not_count() {
        let mut b = Builder::new();
        b.order("100.00", "2026-01-10");
        b.order("50.01", "2026-03-05");
        let removed = b.order("999", "2026-06-01");
        b.change(Change::RemoveItem { kind: ItemKind::Order, id: removed, base: b.seq });
        let f = figures(b.get(), date("2026-03-15"));
        assert_eq!(f.order_count, 2);
        assert_eq!(f.total_spent[&Currency::cny()], 15_001);
        assert_eq!(f.average_order[&Currency::cny()], 7_501, "75.005 rounds half up");
        assert_eq!(f.first_order, Some(date("2026-01-10")));
        assert_eq!(f.last_order, Some(date("2026-03-05")));
        assert_eq!(f.days_since_last_contact, Some(10));
    }

    #[test]
    fn the_latest_interaction_counts_as_contact_and_satisfaction_is_averaged() {
        let mut b = Builder::new();
        b.order("10", "2026-01-01");
        b.visit(1_793_000_000_000, Some(5));
        b.visit(1_790_000_000_000, Some(4));
        b.visit(1_780_000_000_000, None);
        let last = Timestamp(1_793_000_000_000).local_date();
        let f = figures(b.get(), Date::from_days_since_epoch(last.days_since_epoch() + 3));
        assert_eq!(f.days_since_last_contact, Some(3));
        assert_eq!(f.satisfaction_x100, Some(450));
    }
}
