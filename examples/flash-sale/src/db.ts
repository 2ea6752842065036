import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * One SQLite file holds every service's tables so the demo is one file to look at. Each service only touches its
 * own tables (inventory: products + reservations, orders: orders, payments: charges via the gateway), and what makes
 * a service idempotent is that its effect and its processed_events row commit in one transaction of its own
 * database; split the file per service and nothing else changes.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS products (
  id TEXT PRIMARY KEY,
  price INTEGER NOT NULL,
  stock INTEGER NOT NULL CHECK (stock >= 0),           -- available to reserve: overselling would violate this
  reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reservations (
  order_id TEXT PRIMARY KEY,
  product_id TEXT NOT NULL,
  qty INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('reserved', 'committed', 'released'))
);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  product_id TEXT NOT NULL,
  buyer TEXT NOT NULL,
  amount INTEGER,
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'REJECTED')),
  reason TEXT
);
-- the simulated payment gateway: one charge per order id (its idempotency key), and a log of every call to it
CREATE TABLE IF NOT EXISTS charges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL UNIQUE,
  amount INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('succeeded', 'declined'))
);
CREATE TABLE IF NOT EXISTS gateway_calls (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL
);
-- consumer idempotency: which events each service has applied, and the events that applying them produced
CREATE TABLE IF NOT EXISTS processed_events (
  consumer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  emitted TEXT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);
`;

/** Opens (and creates) the example's database. WAL and a busy timeout let several worker processes share it. */
export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.exec(SCHEMA);
  return db;
}

/** Puts a product on sale with this much stock (replacing what was there). */
export function stockProduct(db: Db, productId: string, stock: number, price: number): void {
  db.prepare(
    `INSERT INTO products (id, price, stock) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET price = excluded.price, stock = excluded.stock, reserved = 0, sold = 0`,
  ).run(productId, price, stock);
}

export interface ProductRow {
  id: string;
  price: number;
  stock: number;
  reserved: number;
  sold: number;
}

export function product(db: Db, productId: string): ProductRow | undefined {
  return db.prepare('SELECT id, price, stock, reserved, sold FROM products WHERE id = ?').get(productId) as ProductRow | undefined;
}
