"""The SQLite schemas of the sandbox CRM (``crm.db``) and ERP (``erp.db``).

The DDL is the contract of ``docs/sandbox.md``: connectors and mappings read these exact
table and column names, so they are kept here verbatim (comments may be added, names
never changed).
"""

from __future__ import annotations

import sqlite3

CRM_SCHEMA = """
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY,          -- 'ACC-000123'
  account_name TEXT,                    -- may be NULL/empty for bad records
  account_type TEXT NOT NULL,           -- 'Company' | 'Person'
  parent_account_id TEXT,               -- HQ of a branch (accounts.account_id)
  website TEXT, email TEXT, phone TEXT,
  tax_number TEXT,                      -- VAT id, e.g. 'DE123456789'
  billing_street TEXT, billing_city TEXT, billing_postal_code TEXT,
  billing_state TEXT, billing_country TEXT,          -- ISO alpha-2
  shipping_street TEXT, shipping_city TEXT, shipping_postal_code TEXT,
  shipping_country TEXT,
  credit_limit TEXT, currency_code TEXT, payment_terms TEXT,
  owner_email TEXT,                     -- one or more sales reps, ';'-separated
  created_at TEXT NOT NULL, modified_at TEXT NOT NULL,
  mdm_golden_id TEXT                    -- written back by crmsync
);
CREATE TABLE contacts (
  contact_id TEXT PRIMARY KEY,          -- 'CON-000123'
  account_id TEXT REFERENCES accounts(account_id),
  first_name TEXT, last_name TEXT, email TEXT, phone TEXT, mobile TEXT, job_title TEXT,
  mailing_street TEXT, mailing_city TEXT, mailing_postal_code TEXT, mailing_country TEXT,
  created_at TEXT NOT NULL, modified_at TEXT NOT NULL
);
CREATE TABLE products (
  product_id TEXT PRIMARY KEY,          -- 'PRD-00042'
  sku TEXT,                             -- shares the ERP material number, with format noise
  product_name TEXT, description TEXT,  -- description holds the spec/variant
  uom TEXT, unit_price TEXT, currency_code TEXT, product_family TEXT,
  created_at TEXT NOT NULL, modified_at TEXT NOT NULL,
  mdm_golden_id TEXT
);
CREATE TABLE opportunities (
  opportunity_id TEXT PRIMARY KEY,      -- 'OPP-000123'
  account_id TEXT REFERENCES accounts(account_id),
  opportunity_name TEXT, stage TEXT,    -- 'Prospecting'|'Negotiation'|'Closed Won'|'Closed Lost'
  close_date TEXT, currency_code TEXT, amount TEXT,   -- close_date is a date 'YYYY-MM-DD'
  created_at TEXT NOT NULL, modified_at TEXT NOT NULL
);
CREATE TABLE opportunity_lines (
  line_id TEXT PRIMARY KEY,
  opportunity_id TEXT REFERENCES opportunities(opportunity_id),
  product_id TEXT REFERENCES products(product_id),
  -- discount is a percentage (Salesforce style): total_price = quantity * unit_price
  -- - round_half_up(quantity * unit_price * discount / 100, 2); amount = sum of lines.
  quantity TEXT, unit_price TEXT, discount TEXT, total_price TEXT
);
"""

ERP_SCHEMA = """
CREATE TABLE customer_master (            -- like SAP KNA1
  kunnr TEXT PRIMARY KEY,                 -- customer number '0000100123'
  name1 TEXT, name2 TEXT,                 -- name, name continued
  ktokd TEXT NOT NULL,                    -- account group: 'ORG' | 'PERS'
  hkunnr TEXT,                            -- higher-level customer (HQ)
  stras TEXT, pstlz TEXT, ort01 TEXT, regio TEXT, land1 TEXT,   -- bill-to address
  we_stras TEXT, we_pstlz TEXT, we_ort01 TEXT, we_land1 TEXT,   -- ship-to address
  telf1 TEXT, smtp_addr TEXT, stceg TEXT, -- phone, e-mail, VAT id
  klimk TEXT, waers TEXT, zterm TEXT,     -- credit limit, currency, payment terms
  erdat TEXT NOT NULL, aedat TEXT NOT NULL, -- created / changed at (ISO timestamps)
  loevm INTEGER NOT NULL DEFAULT 0,       -- deletion flag
  mdm_golden_id TEXT                      -- written back by crmsync
);
CREATE TABLE material_master (            -- like SAP MARA/MAKT/MBEW
  matnr TEXT PRIMARY KEY,                 -- material number 'M-100042'
  maktx TEXT,                             -- description (name)
  groes TEXT,                             -- size/dimensions (spec)
  meins TEXT,                             -- base unit of measure
  matkl TEXT,                             -- material group
  kbetr TEXT,                             -- list price
  verpr TEXT,                             -- moving average (cost) price
  waers TEXT,
  erdat TEXT NOT NULL, aedat TEXT NOT NULL,
  mdm_golden_id TEXT
);
CREATE TABLE sales_orders (               -- like VBAK
  vbeln TEXT PRIMARY KEY, kunnr TEXT REFERENCES customer_master(kunnr),
  audat TEXT, waerk TEXT, netwr TEXT,     -- audat is a date 'YYYY-MM-DD'
  status TEXT,                            -- 'entered'|'shipped'|'invoiced'|'returned'
  bstnk TEXT,                             -- customer reference = CRM opportunity id
  erdat TEXT NOT NULL, aedat TEXT NOT NULL
);
CREATE TABLE sales_order_items (          -- like VBAP
  vbeln TEXT REFERENCES sales_orders(vbeln), posnr INTEGER,
  matnr TEXT REFERENCES material_master(matnr),
  -- rabatt is an absolute discount amount: netwr = kwmeng * netpr - rabatt.
  kwmeng TEXT, netpr TEXT, rabatt TEXT, netwr TEXT,
  PRIMARY KEY (vbeln, posnr)
);
CREATE TABLE order_costs (                -- actual costs per order (CO)
  belnr TEXT PRIMARY KEY, vbeln TEXT REFERENCES sales_orders(vbeln),
  kstar TEXT,                             -- cost element: material|labour|overhead|freight
  wkgbtr TEXT, waers TEXT, budat TEXT,    -- budat (posting date) is a date 'YYYY-MM-DD'
  erdat TEXT NOT NULL, aedat TEXT NOT NULL
);
"""

CRM_TABLES = ("accounts", "contacts", "products", "opportunities", "opportunity_lines")
ERP_TABLES = (
    "customer_master",
    "material_master",
    "sales_orders",
    "sales_order_items",
    "order_costs",
)


def create_crm_schema(conn: sqlite3.Connection) -> None:
    """Create the sandbox CRM tables in an empty database.

    Args:
        conn: An open connection to the (empty) ``crm.db``.
    """
    conn.executescript(CRM_SCHEMA)


def create_erp_schema(conn: sqlite3.Connection) -> None:
    """Create the sandbox ERP tables in an empty database.

    Args:
        conn: An open connection to the (empty) ``erp.db``.
    """
    conn.executescript(ERP_SCHEMA)
