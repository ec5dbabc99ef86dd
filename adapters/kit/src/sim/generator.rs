//! A seeded, deterministic store generator: products with options and variants,
//! customers with addresses, orders with line items, discounts, refunds and
//! shipments, in several currencies, with unicode names. The same seed gives the same
//! store on every machine; platform simulators render it in their own wire format.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

/// How big a store to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSize {
    pub products: usize,
    pub customers: usize,
    pub orders: usize,
}

impl Default for StoreSize {
    fn default() -> Self {
        Self {
            products: 50,
            customers: 100,
            orders: 300,
        }
    }
}

/// A generated store, independent of any platform's format.
#[derive(Debug, Clone)]
pub struct SimStore {
    pub currency: &'static str,
    pub name: String,
    pub locations: Vec<SimLocation>,
    pub categories: Vec<SimCategory>,
    pub products: Vec<SimProduct>,
    pub customers: Vec<SimCustomer>,
    pub orders: Vec<SimOrder>,
    /// Where fresh ids continue from, for records created during a run.
    pub next_id: u64,
}

#[derive(Debug, Clone)]
pub struct SimLocation {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct SimCategory {
    pub id: u64,
    pub name: String,
    pub handle: String,
    pub parent_id: Option<u64>,
    pub description_html: String,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimProductStatus {
    Active,
    Draft,
    Archived,
}

#[derive(Debug, Clone)]
pub struct SimProduct {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub status: SimProductStatus,
    pub tags: Vec<String>,
    pub category_ids: Vec<u64>,
    /// Option name and its values, in order; empty for a simple product.
    pub options: Vec<(String, Vec<String>)>,
    /// At least one; a simple product has one variant with no option values.
    pub variants: Vec<SimVariant>,
    pub images: Vec<SimImage>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct SimVariant {
    pub id: u64,
    pub inventory_item_id: u64,
    pub sku: String,
    pub barcode: Option<String>,
    pub title: String,
    pub option_values: Vec<String>,
    pub price: Decimal,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: u32,
    /// Stock per location id.
    pub stock: Vec<(u64, i64)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SimVariant {
    pub fn total_stock(&self) -> i64 {
        self.stock.iter().map(|(_, q)| q).sum()
    }
}

#[derive(Debug, Clone)]
pub struct SimImage {
    pub id: u64,
    pub url: String,
    pub alt: String,
    pub position: u32,
}

#[derive(Debug, Clone, Default)]
pub struct SimAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub address1: String,
    pub address2: Option<String>,
    pub city: String,
    pub province: String,
    pub province_code: String,
    pub zip: String,
    pub country: String,
    pub country_code: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SimCustomer {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub accepts_marketing: bool,
    pub addresses: Vec<SimAddress>,
    pub orders_count: u64,
    pub total_spent: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimOrderState {
    /// Placed, awaiting payment or action.
    Pending,
    /// Paid and being worked on.
    Open,
    OnHold,
    /// Done (shipped, or closed).
    Completed,
    Cancelled,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFinancial {
    Pending,
    Authorized,
    Paid,
    PartiallyRefunded,
    Refunded,
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFulfillment {
    Unfulfilled,
    Partial,
    Fulfilled,
}

#[derive(Debug, Clone)]
pub struct SimLineItem {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub sku: String,
    pub title: String,
    pub variant_title: String,
    pub quantity: u32,
    pub price: Decimal,
    pub tax: Decimal,
    pub discount: Decimal,
}

impl SimLineItem {
    /// Price × quantity, before discounts.
    pub fn gross(&self) -> Decimal {
        self.price * Decimal::from(self.quantity)
    }
}

#[derive(Debug, Clone)]
pub struct SimRefund {
    pub id: u64,
    pub created_at: DateTime<Utc>,
    pub note: String,
    /// (line item id, quantity, amount)
    pub lines: Vec<(u64, u32, Decimal)>,
    pub amount: Decimal,
}

#[derive(Debug, Clone)]
pub struct SimShipment {
    pub id: u64,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: String,
    pub status: String,
    /// (line item id, quantity)
    pub lines: Vec<(u64, u32)>,
    pub created_at: DateTime<Utc>,
}

/// The currency a buyer paid in when it is not the store's, and the store's rate to it
/// (presentment units per store unit), as a multi-currency checkout converts prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimPresentment {
    pub currency: &'static str,
    pub rate: Decimal,
}

impl SimPresentment {
    /// A store amount in the presentment currency, rounded to cents.
    pub fn convert(&self, amount: Decimal) -> Decimal {
        cents(amount * self.rate)
    }
}

/// Each currency's value in US dollars, for the generated exchange rates.
const USD_RATES: &[(&str, i64)] = &[
    ("USD", 10_000),
    ("EUR", 10_870),
    ("GBP", 12_658),
    ("CAD", 7_353),
    ("AUD", 6_579),
];

/// The generated rate from `store` to `presentment` (presentment units per store
/// unit), to six places.
fn rate(store: &str, presentment: &str) -> Decimal {
    let usd = |c: &str| {
        USD_RATES
            .iter()
            .find(|(code, _)| *code == c)
            .map_or(Decimal::ONE, |(_, r)| Decimal::new(*r, 4))
    };
    (usd(store) / usd(presentment)).round_dp(6)
}

/// Whether (and in what) the buyer of order `id` paid in another currency than the
/// store's: one order in five, from the order id alone (so the store's random stream,
/// and every other generated value, stays as it was).
fn presentment_of(id: u64, store: &'static str) -> Option<SimPresentment> {
    if id % 5 != 2 {
        return None;
    }
    let others: Vec<&'static str> = CURRENCIES.iter().copied().filter(|c| *c != store).collect();
    let currency = others[(id / 5) as usize % others.len()];
    Some(SimPresentment {
        currency,
        rate: rate(store, currency),
    })
}

#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: u64,
    pub number: u64,
    pub customer_id: Option<u64>,
    pub email: String,
    pub phone: Option<String>,
    /// The store's currency: every amount of the order is in it.
    pub currency: &'static str,
    /// What the buyer paid in, when not the store's currency.
    pub presentment: Option<SimPresentment>,
    pub state: SimOrderState,
    pub financial: SimFinancial,
    pub fulfillment: SimFulfillment,
    pub line_items: Vec<SimLineItem>,
    pub shipping_method: String,
    pub shipping_carrier: String,
    pub shipping_price: Decimal,
    /// (code, amount)
    pub discount_codes: Vec<(String, Decimal)>,
    pub tax_rate: Decimal,
    pub refunds: Vec<SimRefund>,
    pub shipments: Vec<SimShipment>,
    pub billing: SimAddress,
    pub shipping_address: SimAddress,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub source: &'static str,
    pub browser_ip: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<&'static str>,
    pub deleted: bool,
}

impl SimOrder {
    pub fn subtotal(&self) -> Decimal {
        self.line_items.iter().map(SimLineItem::gross).sum()
    }
    pub fn total_discount(&self) -> Decimal {
        self.line_items.iter().map(|l| l.discount).sum()
    }
    pub fn total_tax(&self) -> Decimal {
        self.line_items.iter().map(|l| l.tax).sum()
    }
    pub fn total(&self) -> Decimal {
        self.subtotal() - self.total_discount() + self.shipping_price + self.total_tax()
    }
    pub fn refunded(&self) -> Decimal {
        self.refunds.iter().map(|r| r.amount).sum()
    }
    /// The order as its buyer saw it: in the presentment currency, each price, tax,
    /// discount, shipping charge and refund converted (so its totals are the sums of
    /// its converted parts, as a multi-currency checkout adds them up); the order
    /// itself when the buyer paid in the store's currency.
    pub fn presented(&self) -> std::borrow::Cow<'_, SimOrder> {
        let Some(p) = self.presentment else {
            return std::borrow::Cow::Borrowed(self);
        };
        let mut o = self.clone();
        o.currency = p.currency;
        o.presentment = None;
        for l in &mut o.line_items {
            l.price = p.convert(l.price);
            l.tax = p.convert(l.tax);
            l.discount = p.convert(l.discount);
        }
        o.shipping_price = p.convert(o.shipping_price);
        for (_, a) in &mut o.discount_codes {
            *a = p.convert(*a);
        }
        for r in &mut o.refunds {
            r.amount = p.convert(r.amount);
            for (_, _, a) in &mut r.lines {
                *a = p.convert(*a);
            }
        }
        std::borrow::Cow::Owned(o)
    }

    pub fn total_quantity(&self) -> u32 {
        self.line_items.iter().map(|l| l.quantity).sum()
    }
    /// The whole percentage the order's discount code took off every line (`SAVE15`
    /// takes 15 %), as platforms report a percentage code's rate; `None` without one.
    pub fn discount_percent(&self) -> Option<Decimal> {
        let subtotal = self.subtotal();
        (!self.discount_codes.is_empty() && !subtotal.is_zero())
            .then(|| (self.total_discount() * Decimal::from(100) / subtotal).round())
    }
}

const FIRST: &[&str] = &[
    "Ava", "Noah", "Zoë", "José", "Łukasz", "Søren", "Mária", "Chloé", "Mateo", "Amélie", "Björn",
    "Hana", "Priya", "Olu", "Renée", "Ólafur", "Yuki", "Ines", "Kai", "Dmitri", "Aoife", "Liam",
    "Emma", "Mohammed", "Sofía", "Jürgen", "Nguyễn", "Anaïs",
];
const LAST: &[&str] = &[
    "Smith",
    "García",
    "Müller",
    "Kowalski",
    "Nørgaard",
    "O'Brien",
    "Dubois",
    "Rossi",
    "Tanaka",
    "Okafor",
    "Silva",
    "Johansson",
    "Novák",
    "Fernández",
    "Schäfer",
    "Kim",
    "Patel",
    "Çelik",
    "Andersson",
    "MacDonald",
    "Lefèvre",
    "Jensen",
    "Åberg",
    "Đorđević",
];
/// (city, province, province code, country, country code, zip)
const PLACES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("Ottawa", "Ontario", "ON", "Canada", "CA", "K2P 1L4"),
    ("Montréal", "Quebec", "QC", "Canada", "CA", "H2Y 1C6"),
    (
        "San Francisco",
        "California",
        "CA",
        "United States",
        "US",
        "94103",
    ),
    ("New York", "New York", "NY", "United States", "US", "10001"),
    ("Austin", "Texas", "TX", "United States", "US", "73301"),
    ("München", "Bayern", "BY", "Germany", "DE", "80331"),
    (
        "Köln",
        "Nordrhein-Westfalen",
        "NW",
        "Germany",
        "DE",
        "50667",
    ),
    ("Paris", "Île-de-France", "IDF", "France", "FR", "75001"),
    (
        "London",
        "England",
        "ENG",
        "United Kingdom",
        "GB",
        "SW1A 1AA",
    ),
    ("Dublin", "Dublin", "D", "Ireland", "IE", "D02 X285"),
    (
        "Sydney",
        "New South Wales",
        "NSW",
        "Australia",
        "AU",
        "2000",
    ),
    ("Kraków", "Małopolskie", "MA", "Poland", "PL", "30-001"),
    ("São Paulo", "São Paulo", "SP", "Brazil", "BR", "01000-000"),
    ("Madrid", "Madrid", "M", "Spain", "ES", "28013"),
];
const STREETS: &[&str] = &[
    "Elm Street",
    "Rue de Rivoli",
    "Hauptstraße",
    "Main Street",
    "Chemin du Lac",
    "Calle Mayor",
    "High Street",
    "Queen Street",
    "Ulica Długa",
    "Avenida Paulista",
];
const ADJECTIVES: &[&str] = &[
    "Classic",
    "Organic",
    "Vintage",
    "Ergonomic",
    "Handmade",
    "Recycled",
    "Lightweight",
    "Deluxe",
    "Minimalist",
    "Rustic",
    "Nordic",
    "Café",
];
const NOUNS: &[&str] = &[
    "T-Shirt",
    "Mug",
    "Backpack",
    "Sneakers",
    "Lamp",
    "Notebook",
    "Scarf",
    "Headphones",
    "Candle",
    "Water Bottle",
    "Hoodie",
    "Teapot",
    "Wallet",
    "Sunglasses",
];
const VENDORS: &[&str] = &[
    "Acme",
    "Nordwind",
    "Maison Lumière",
    "Kōgei Works",
    "Blue Ox",
    "Fjällräv Co",
];
const TYPES: &[&str] = &[
    "Apparel",
    "Home",
    "Accessories",
    "Electronics",
    "Stationery",
];
const CATEGORY_NAMES: &[&str] = &[
    "Apparel",
    "Home & Living",
    "Accessories",
    "Electronics",
    "Gifts",
    "Sale",
    "New Arrivals",
    "Outdoor",
    "Kitchen",
    "Büro",
];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const COLORS: &[&str] = &["Black", "White", "Navy", "Crème", "Forest Green", "Rouge"];
const MATERIALS: &[&str] = &["Cotton", "Wool", "Linen"];
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "CAD", "AUD"];
const CARRIERS: &[(&str, &str)] = &[
    ("UPS", "https://www.ups.com/track?tracknum="),
    (
        "USPS",
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
    ),
    ("FedEx", "https://www.fedex.com/fedextrack/?trknbr="),
    (
        "DHL Express",
        "https://www.dhl.com/en/express/tracking.html?AWB=",
    ),
    (
        "Canada Post",
        "https://www.canadapost-postescanada.ca/track-reperage/en#/details/",
    ),
];
const SHIPPING_METHODS: &[&str] = &["Standard", "Express", "Overnight", "Free Shipping"];
const SOURCES: &[&str] = &["web", "web", "web", "pos", "mobile_app", "draft_order"];

fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn money(rng: &mut ChaCha8Rng, min_cents: i64, max_cents: i64) -> Decimal {
    // Prices end in .00, .50, .95 or .99 like real catalogues.
    let dollars = rng.gen_range(min_cents / 100..=max_cents / 100);
    let cents = *[0i64, 50, 95, 99].choose(rng).expect("non-empty");
    Decimal::new(dollars * 100 + cents, 2)
}

/// Rounds to cents, half away from zero (as platforms compute tax).
pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

impl SimStore {
    /// Generates a store; the same seed and size give the same store.
    pub fn generate(seed: u64, size: StoreSize) -> SimStore {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let base = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("valid date");
        let span_minutes = 60 * 24 * 300; // records spread over ~300 days
        let mut next_id: u64 = 1000 + (seed % 1000) * 10;
        let mut id = || {
            next_id += 1;
            next_id
        };
        let currency = *CURRENCIES.choose(&mut rng).expect("non-empty");
        let at = |rng: &mut ChaCha8Rng| base + Duration::minutes(rng.gen_range(0..span_minutes));

        let locations = vec![
            SimLocation {
                id: id(),
                name: "Main Warehouse".into(),
            },
            SimLocation {
                id: id(),
                name: "Boutique Montréal".into(),
            },
        ];

        let mut categories = Vec::new();
        for (i, name) in CATEGORY_NAMES.iter().enumerate() {
            let parent_id = (i >= 6)
                .then(|| categories.first().map(|c: &SimCategory| c.id))
                .flatten();
            let created = at(&mut rng);
            categories.push(SimCategory {
                id: id(),
                name: (*name).to_owned(),
                handle: slug(name),
                parent_id,
                description_html: format!("<p>Everything {name}.</p>"),
                position: i as i64,
                created_at: created,
                updated_at: created + Duration::minutes(rng.gen_range(0..5000)),
            });
        }

        let mut products = Vec::with_capacity(size.products);
        for n in 0..size.products {
            let title = format!(
                "{} {} {}",
                ADJECTIVES.choose(&mut rng).expect("non-empty"),
                NOUNS.choose(&mut rng).expect("non-empty"),
                n + 1
            );
            let created = at(&mut rng);
            let updated = created + Duration::minutes(rng.gen_range(0..20_000));
            let options: Vec<(String, Vec<String>)> = match rng.gen_range(0..10) {
                0..=2 => vec![],
                3..=6 => vec![("Size".into(), pick(&mut rng, SIZES, 2, 5))],
                7..=8 => vec![
                    ("Size".into(), pick(&mut rng, SIZES, 2, 4)),
                    ("Color".into(), pick(&mut rng, COLORS, 2, 3)),
                ],
                _ => vec![
                    ("Size".into(), pick(&mut rng, SIZES, 2, 3)),
                    ("Color".into(), pick(&mut rng, COLORS, 2, 3)),
                    ("Material".into(), pick(&mut rng, MATERIALS, 2, 2)),
                ],
            };
            let combos = combinations(&options);
            let base_price = money(&mut rng, 500, 25_000);
            let sku_base = format!(
                "{}-{:04}",
                slug(NOUNS[n % NOUNS.len()]).to_uppercase(),
                n + 1
            );
            let variants = combos
                .into_iter()
                .enumerate()
                .map(|(i, values)| {
                    let price = base_price + Decimal::from(i as i64 % 3) * Decimal::new(500, 2);
                    SimVariant {
                        id: id(),
                        inventory_item_id: id(),
                        sku: if values.is_empty() {
                            sku_base.clone()
                        } else {
                            format!("{sku_base}-{}", i + 1)
                        },
                        barcode: rng.gen_bool(0.7).then(|| {
                            format!("{:013}", rng.gen_range(10u64.pow(12)..10u64.pow(13)))
                        }),
                        title: if values.is_empty() {
                            "Default Title".into()
                        } else {
                            values.join(" / ")
                        },
                        option_values: values,
                        price,
                        compare_at_price: rng.gen_bool(0.3).then(|| price + Decimal::new(1000, 2)),
                        weight_grams: rng.gen_range(50..3000),
                        stock: locations
                            .iter()
                            .map(|l| (l.id, rng.gen_range(-2..120)))
                            .collect(),
                        created_at: created,
                        updated_at: updated,
                    }
                })
                .collect();
            let images = (0..rng.gen_range(0..4u32))
                .map(|p| SimImage {
                    id: id(),
                    url: format!(
                        "https://cdn.example.com/images/{}-{}.jpg",
                        slug(&title),
                        p + 1
                    ),
                    alt: format!("{title} view {}", p + 1),
                    position: p + 1,
                })
                .collect();
            let status = match rng.gen_range(0..20) {
                0 => SimProductStatus::Draft,
                1 => SimProductStatus::Archived,
                _ => SimProductStatus::Active,
            };
            let how_many = rng.gen_range(0..3);
            let cats = categories
                .choose_multiple(&mut rng, how_many)
                .map(|c| c.id)
                .collect();
            products.push(SimProduct {
                id: id(),
                handle: slug(&title),
                description_html: format!("<p>The <strong>{title}</strong>, made to last.</p>"),
                vendor: (*VENDORS.choose(&mut rng).expect("non-empty")).to_owned(),
                product_type: (*TYPES.choose(&mut rng).expect("non-empty")).to_owned(),
                status,
                tags: pick(
                    &mut rng,
                    &["new", "gift", "eco", "bestseller", "sale", "limited"],
                    0,
                    3,
                ),
                category_ids: cats,
                options,
                variants,
                images,
                created_at: created,
                updated_at: updated,
                deleted: false,
                title,
            });
        }

        let mut customers = Vec::with_capacity(size.customers);
        for _ in 0..size.customers {
            let first = (*FIRST.choose(&mut rng).expect("non-empty")).to_owned();
            let last = (*LAST.choose(&mut rng).expect("non-empty")).to_owned();
            let cid = id();
            let email = format!(
                "{}.{}.{cid}@example.com",
                ascii_fold(&first),
                ascii_fold(&last)
            );
            let phone = rng
                .gen_bool(0.6)
                .then(|| format!("+1613555{:04}", rng.gen_range(0..10_000)));
            let addresses = (0..rng.gen_range(1..3))
                .map(|_| address(&mut rng, &first, &last, phone.clone()))
                .collect();
            let created = at(&mut rng);
            customers.push(SimCustomer {
                id: cid,
                first_name: first,
                last_name: last,
                email,
                phone,
                accepts_marketing: rng.gen_bool(0.4),
                addresses,
                orders_count: 0,
                total_spent: Decimal::new(0, 2),
                created_at: created,
                updated_at: created + Duration::minutes(rng.gen_range(0..10_000)),
                deleted: false,
            });
        }

        let mut orders = Vec::with_capacity(size.orders);
        for n in 0..size.orders {
            let oid = id();
            let created = at(&mut rng);
            let customer = (!customers.is_empty() && rng.gen_bool(0.9))
                .then(|| rng.gen_range(0..customers.len()));
            let (first, last, email, phone, cust_addr) = match customer {
                Some(i) => {
                    let c = &customers[i];
                    (
                        c.first_name.clone(),
                        c.last_name.clone(),
                        c.email.clone(),
                        c.phone.clone(),
                        Some(c.addresses[0].clone()),
                    )
                }
                None => {
                    let f = (*FIRST.choose(&mut rng).expect("non-empty")).to_owned();
                    let l = (*LAST.choose(&mut rng).expect("non-empty")).to_owned();
                    let e = format!("guest.{oid}@example.org");
                    (f, l, e, None, None)
                }
            };
            let billing = cust_addr
                .clone()
                .unwrap_or_else(|| address(&mut rng, &first, &last, phone.clone()));
            let shipping_address = if rng.gen_bool(0.85) {
                billing.clone()
            } else {
                address(&mut rng, &first, &last, phone.clone())
            };
            let tax_rate = *[
                Decimal::new(0, 2),
                Decimal::new(5, 2),
                Decimal::new(13, 2),
                Decimal::new(19, 2),
                Decimal::new(20, 2),
            ]
            .choose(&mut rng)
            .expect("non-empty");
            let mut line_items = Vec::new();
            if !products.is_empty() {
                for _ in 0..rng.gen_range(1..5) {
                    let p = &products[rng.gen_range(0..products.len())];
                    let v = &p.variants[rng.gen_range(0..p.variants.len())];
                    let quantity = rng.gen_range(1..4);
                    let gross = v.price * Decimal::from(quantity);
                    line_items.push(SimLineItem {
                        id: id(),
                        product_id: p.id,
                        variant_id: v.id,
                        sku: v.sku.clone(),
                        title: p.title.clone(),
                        variant_title: v.title.clone(),
                        quantity,
                        price: v.price,
                        tax: Decimal::ZERO,
                        discount: Decimal::new(0, 2),
                        // tax filled below, after discounts
                    });
                    let _ = gross;
                }
            }
            let mut discount_codes = Vec::new();
            if rng.gen_bool(0.2) && !line_items.is_empty() {
                let pct = Decimal::from(*[10i64, 15, 20].choose(&mut rng).expect("non-empty"));
                let mut total = Decimal::ZERO;
                for li in &mut line_items {
                    li.discount = cents(li.gross() * pct / Decimal::from(100));
                    total += li.discount;
                }
                discount_codes.push((format!("SAVE{pct}"), total));
            }
            for li in &mut line_items {
                li.tax = cents((li.gross() - li.discount) * tax_rate);
            }
            let shipping_price = *[
                Decimal::new(0, 2),
                Decimal::new(599, 2),
                Decimal::new(1000, 2),
                Decimal::new(2495, 2),
            ]
            .choose(&mut rng)
            .expect("non-empty");
            let (carrier, track_base) = *CARRIERS.choose(&mut rng).expect("non-empty");

            let roll = rng.gen_range(0..100);
            let (state, financial, fulfillment) = match roll {
                0..=9 => (
                    SimOrderState::Pending,
                    SimFinancial::Pending,
                    SimFulfillment::Unfulfilled,
                ),
                10..=14 => (
                    SimOrderState::Pending,
                    SimFinancial::Authorized,
                    SimFulfillment::Unfulfilled,
                ),
                15..=39 => (
                    SimOrderState::Open,
                    SimFinancial::Paid,
                    SimFulfillment::Unfulfilled,
                ),
                40..=44 => (
                    SimOrderState::Open,
                    SimFinancial::Paid,
                    SimFulfillment::Partial,
                ),
                45..=47 => (
                    SimOrderState::OnHold,
                    SimFinancial::Pending,
                    SimFulfillment::Unfulfilled,
                ),
                48..=84 => (
                    SimOrderState::Completed,
                    SimFinancial::Paid,
                    SimFulfillment::Fulfilled,
                ),
                85..=89 => (
                    SimOrderState::Completed,
                    SimFinancial::PartiallyRefunded,
                    SimFulfillment::Fulfilled,
                ),
                90..=94 => (
                    SimOrderState::Cancelled,
                    SimFinancial::Refunded,
                    SimFulfillment::Unfulfilled,
                ),
                95..=97 => (
                    SimOrderState::Cancelled,
                    SimFinancial::Voided,
                    SimFulfillment::Unfulfilled,
                ),
                _ => (
                    SimOrderState::Failed,
                    SimFinancial::Pending,
                    SimFulfillment::Unfulfilled,
                ),
            };
            let mut updated = created + Duration::minutes(rng.gen_range(1..600));
            let mut shipments = Vec::new();
            if matches!(
                fulfillment,
                SimFulfillment::Fulfilled | SimFulfillment::Partial
            ) && !line_items.is_empty()
            {
                let lines: Vec<(u64, u32)> = match fulfillment {
                    SimFulfillment::Partial => vec![(line_items[0].id, line_items[0].quantity)],
                    _ => line_items.iter().map(|l| (l.id, l.quantity)).collect(),
                };
                let tracking = format!("1Z{:016}", rng.gen_range(0..10u64.pow(15)));
                let shipped = created + Duration::hours(rng.gen_range(2..72));
                updated = updated.max(shipped);
                shipments.push(SimShipment {
                    id: id(),
                    carrier: carrier.to_owned(),
                    tracking_url: format!("{track_base}{tracking}"),
                    tracking_number: tracking,
                    status: "success".into(),
                    lines,
                    created_at: shipped,
                });
            }
            let mut refunds = Vec::new();
            let order_total = {
                let sub: Decimal = line_items
                    .iter()
                    .map(|l| l.gross() - l.discount + l.tax)
                    .sum();
                sub + shipping_price
            };
            match financial {
                SimFinancial::Refunded if !line_items.is_empty() => {
                    let when = created + Duration::hours(rng.gen_range(1..200));
                    updated = updated.max(when);
                    refunds.push(SimRefund {
                        id: id(),
                        created_at: when,
                        note: "Customer changed their mind".into(),
                        lines: line_items
                            .iter()
                            .map(|l| (l.id, l.quantity, l.gross() - l.discount + l.tax))
                            .collect(),
                        amount: order_total,
                    });
                }
                SimFinancial::PartiallyRefunded if !line_items.is_empty() => {
                    let l = &line_items[0];
                    let when = created + Duration::hours(rng.gen_range(24..400));
                    updated = updated.max(when);
                    let unit = cents((l.gross() - l.discount + l.tax) / Decimal::from(l.quantity));
                    refunds.push(SimRefund {
                        id: id(),
                        created_at: when,
                        note: "Damaged in transit".into(),
                        lines: vec![(l.id, 1, unit)],
                        amount: unit,
                    });
                }
                _ => {}
            }
            let completed_at = (state == SimOrderState::Completed).then_some(updated);
            let cancelled_at = (state == SimOrderState::Cancelled).then_some(updated);
            if let Some(i) = customer {
                customers[i].orders_count += 1;
                if matches!(
                    financial,
                    SimFinancial::Paid | SimFinancial::PartiallyRefunded
                ) {
                    customers[i].total_spent += order_total;
                }
            }
            orders.push(SimOrder {
                id: oid,
                number: 1001 + n as u64,
                customer_id: customer.map(|i| customers[i].id),
                email,
                phone,
                currency,
                presentment: presentment_of(oid, currency),
                state,
                financial,
                fulfillment,
                line_items,
                shipping_method: (*SHIPPING_METHODS.choose(&mut rng).expect("non-empty"))
                    .to_owned(),
                shipping_carrier: carrier.to_owned(),
                shipping_price,
                discount_codes,
                tax_rate,
                refunds,
                shipments,
                billing,
                shipping_address,
                note: rng
                    .gen_bool(0.15)
                    .then(|| "Please leave at the door — merci!".to_owned()),
                tags: pick(&mut rng, &["vip", "wholesale", "gift", "priority"], 0, 2),
                source: SOURCES.choose(&mut rng).expect("non-empty"),
                browser_ip: format!("203.0.113.{}", rng.gen_range(1..255)),
                created_at: created,
                updated_at: updated,
                completed_at,
                cancelled_at,
                cancel_reason: cancelled_at.map(|_| "customer"),
                deleted: false,
            });
        }

        SimStore {
            currency,
            name: format!("{} Store", VENDORS[(seed % VENDORS.len() as u64) as usize]),
            locations,
            categories,
            products,
            customers,
            orders,
            next_id,
        }
    }

    /// The currencies buyers pay in: the store's first, then each other one an order
    /// was paid in (what a shop lists as its enabled presentment currencies).
    pub fn currencies(&self) -> Vec<&'static str> {
        let mut out = vec![self.currency];
        for p in self.orders.iter().filter_map(|o| o.presentment) {
            if !out.contains(&p.currency) {
                out.push(p.currency);
            }
        }
        out
    }

    /// A fresh id for a record created during a run.
    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id && !o.deleted)
    }

    /// A merchant's edit of live order `id` at `at` (the conformance suite's `touch`):
    /// its update time moves and its note says so. `None` when no live order has it.
    pub fn touch_order(&mut self, id: u64, at: DateTime<Utc>) -> Option<()> {
        let o = self.order_mut(id)?;
        o.updated_at = at;
        o.note = Some(format!("touched at {}", at.to_rfc3339()));
        Some(())
    }

    /// A merchant's edit of live product `id` at `at`: its update time moves and its
    /// title is marked (once). `None` when no live product has it.
    pub fn touch_product(&mut self, id: u64, at: DateTime<Utc>) -> Option<()> {
        let p = self.product_mut(id)?;
        p.updated_at = at;
        p.title = format!("{} (touched)", p.title.trim_end_matches(" (touched)"));
        Some(())
    }

    pub fn product_mut(&mut self, id: u64) -> Option<&mut SimProduct> {
        self.products.iter_mut().find(|p| p.id == id && !p.deleted)
    }

    /// Finds a variant (and its product) by variant id.
    pub fn variant_mut(&mut self, variant_id: u64) -> Option<(&mut SimProduct, usize)> {
        self.products
            .iter_mut()
            .filter(|p| !p.deleted)
            .find_map(|p| {
                let i = p.variants.iter().position(|v| v.id == variant_id)?;
                Some((p, i))
            })
    }

    /// Marks `count` orders, products and customers (chosen by `seed`) as changed at
    /// `now`: what a busy shop does while a sync is paging through it.
    pub fn touch_some(&mut self, seed: u64, count: usize, now: DateTime<Utc>) -> Vec<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut touched = Vec::new();
        for _ in 0..count {
            if self.orders.is_empty() {
                break;
            }
            let i = rng.gen_range(0..self.orders.len());
            let o = &mut self.orders[i];
            o.updated_at = now;
            o.note = Some(format!("touched at {}", now.to_rfc3339()));
            touched.push(o.id);
        }
        touched
    }
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'a'..='z' | 'A'..='Z' => Some(c.to_ascii_lowercase()),
            'é' | 'è' | 'ë' | 'É' => Some('e'),
            'á' | 'à' | 'å' | 'ä' | 'Å' => Some('a'),
            'ó' | 'ö' | 'ø' | 'Ó' => Some('o'),
            'ü' | 'ú' => Some('u'),
            'í' | 'ï' => Some('i'),
            'ç' | 'Ç' => Some('c'),
            'ł' | 'Ł' => Some('l'),
            'ñ' => Some('n'),
            'đ' | 'Đ' => Some('d'),
            _ => None,
        })
        .collect()
}

fn pick(rng: &mut ChaCha8Rng, from: &[&str], min: usize, max: usize) -> Vec<String> {
    let n = rng.gen_range(min..=max.min(from.len()));
    let mut chosen: Vec<&str> = from.choose_multiple(rng, n).copied().collect();
    chosen.sort_by_key(|c| from.iter().position(|f| f == c));
    chosen.into_iter().map(str::to_owned).collect()
}

fn combinations(options: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    options.iter().fold(vec![Vec::new()], |acc, (_, values)| {
        acc.into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect()
    })
}

fn address(rng: &mut ChaCha8Rng, first: &str, last: &str, phone: Option<String>) -> SimAddress {
    let (city, province, code, country, cc, zip) = *PLACES.choose(rng).expect("non-empty");
    SimAddress {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        company: rng.gen_bool(0.2).then(|| format!("{last} GmbH")),
        address1: format!(
            "{} {}",
            rng.gen_range(1..999),
            STREETS.choose(rng).expect("non-empty")
        ),
        address2: rng
            .gen_bool(0.25)
            .then(|| format!("Apt {}", rng.gen_range(1..50))),
        city: city.to_owned(),
        province: province.to_owned(),
        province_code: code.to_owned(),
        zip: zip.to_owned(),
        country: country.to_owned(),
        country_code: cc.to_owned(),
        phone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_convert_between_the_generated_currencies() {
        assert_eq!(rate("USD", "USD"), Decimal::ONE);
        assert_eq!(rate("USD", "EUR").to_string(), "0.919963");
        let p = SimPresentment {
            currency: "EUR",
            rate: rate("USD", "EUR"),
        };
        assert_eq!(p.convert(Decimal::new(10000, 2)).to_string(), "92.00");
    }

    #[test]
    fn same_seed_same_store() {
        let a = SimStore::generate(7, StoreSize::default());
        let b = SimStore::generate(7, StoreSize::default());
        assert_eq!(format!("{:?}", a.orders), format!("{:?}", b.orders));
        let c = SimStore::generate(8, StoreSize::default());
        assert_ne!(format!("{:?}", a.orders), format!("{:?}", c.orders));
    }

    #[test]
    fn orders_add_up_and_ids_are_unique() {
        let s = SimStore::generate(
            1,
            StoreSize {
                products: 30,
                customers: 40,
                orders: 500,
            },
        );
        let mut ids = std::collections::HashSet::new();
        for o in &s.orders {
            assert!(ids.insert(o.id));
            assert!(!o.line_items.is_empty());
            assert!(o.updated_at >= o.created_at);
            assert_eq!(
                o.total(),
                o.subtotal() - o.total_discount() + o.shipping_price + o.total_tax()
            );
            assert!(o.refunded() <= o.total());
        }
        for p in &s.products {
            assert!(ids.insert(p.id));
            assert!(!p.variants.is_empty());
            for v in &p.variants {
                assert!(ids.insert(v.id));
                assert_eq!(v.option_values.len(), p.options.len());
            }
        }
        assert!(s.orders.iter().any(|o| !o.refunds.is_empty()));
        assert!(s.orders.iter().any(|o| !o.shipments.is_empty()));
        let foreign: Vec<&SimOrder> = s
            .orders
            .iter()
            .filter(|o| o.presentment.is_some())
            .collect();
        assert!(
            (s.orders.len() / 8..s.orders.len() / 3).contains(&foreign.len()),
            "some buyers pay in another currency: {}",
            foreign.len()
        );
        for o in foreign {
            let p = o.presentment.expect("filtered");
            assert_ne!(p.currency, o.currency);
            let seen = o.presented();
            assert_eq!(seen.currency, p.currency);
            // The buyer's totals are the sums of the buyer's converted parts.
            assert_eq!(
                seen.total(),
                seen.subtotal() - seen.total_discount() + seen.shipping_price + seen.total_tax()
            );
            assert_eq!(seen.shipping_price, p.convert(o.shipping_price));
        }
        let plain = s
            .orders
            .iter()
            .find(|o| o.presentment.is_none())
            .expect("most orders");
        assert!(matches!(plain.presented(), std::borrow::Cow::Borrowed(_)));
        assert!(
            s.customers
                .iter()
                .any(|c| !c.first_name.is_ascii() || !c.last_name.is_ascii())
        );
    }
}
