//! Statements as one script: the same statements on both back ends, sent in
//! ONE round trip to SQLite and statement by statement to PostgreSQL.
//!
//! Why: sqlx runs each SQLite connection on its own thread, so every
//! statement costs two thread hand-offs (tens of microseconds on a shared
//! 2-core machine), far more than SQLite's own work. A multi-statement query
//! with `?` parameters is one hand-off (sqlx-sqlite binds them in order across
//! the statements). PostgreSQL's extended protocol takes one statement per
//! message, so there each statement is numbered from `$1` and sent on its
//! own; its server runs transactions in parallel anyway.

use crate::{Backend, StoreError};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::encode::Encode;
use sqlx::{Any, Arguments, Transaction, Type};
use std::fmt::Write;

struct Statement {
    sql: String,
    args: AnyArguments,
    rows: bool,
}

/// Statements to run in order inside the caller's transaction.
pub(crate) struct Script {
    backend: Backend,
    done: Vec<Statement>,
    cur: Statement,
    /// Placeholders used in the current numbering scope.
    n: usize,
    error: Option<String>,
}

/// One `(…)` tuple of a multi-row `VALUES` list.
pub(crate) struct Tuple<'a> {
    s: &'a mut Script,
    first: bool,
}

impl Tuple<'_> {
    pub fn bind<'q, T>(&mut self, v: T) -> &mut Self
    where
        T: Encode<'q, Any> + Type<Any>,
    {
        if !self.first {
            self.s.cur.sql.push_str(", ");
        }
        self.first = false;
        self.s.bind(v);
        self
    }
}

impl Script {
    pub fn new(backend: Backend) -> Script {
        Script {
            backend,
            done: Vec::new(),
            cur: Statement {
                sql: String::new(),
                args: AnyArguments::default(),
                rows: false,
            },
            n: 0,
            error: None,
        }
    }

    /// Appends SQL text to the current statement.
    pub fn sql(&mut self, text: &str) -> &mut Self {
        self.cur.sql.push_str(text);
        self
    }

    /// Appends a placeholder and its value.
    pub fn bind<'q, T>(&mut self, v: T) -> &mut Self
    where
        T: Encode<'q, Any> + Type<Any>,
    {
        self.n += 1;
        match self.backend {
            // Anonymous parameters: sqlx-sqlite numbers them across the
            // statements of one query, and SQLite looks a named one up by a
            // linear scan, which is quadratic over a group's thousands of binds.
            Backend::Sqlite => self.cur.sql.push('?'),
            Backend::Postgres => {
                let _ = write!(self.cur.sql, "${}", self.n);
            }
        }
        if let Err(e) = self.cur.args.add(v) {
            self.error.get_or_insert_with(|| e.to_string());
        }
        self
    }

    /// Appends `VALUES (…), (…)` with one tuple per item.
    pub fn values<I, F>(&mut self, items: I, mut f: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(&mut Tuple<'_>, I::Item),
    {
        self.cur.sql.push_str(" VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.cur.sql.push_str(", ");
            }
            self.cur.sql.push('(');
            f(
                &mut Tuple {
                    s: &mut *self,
                    first: true,
                },
                item,
            );
            self.cur.sql.push(')');
        }
        self
    }

    /// Marks the current statement as one whose rows (`RETURNING`) the
    /// caller wants. On SQLite every statement of the script is one query,
    /// so only such statements may produce rows.
    pub fn returning(&mut self) -> &mut Self {
        self.cur.rows = true;
        self
    }

    /// Ends the current statement.
    pub fn end(&mut self) -> &mut Self {
        match self.backend {
            Backend::Sqlite => self.cur.sql.push_str(";\n"),
            Backend::Postgres => {
                let s = std::mem::replace(
                    &mut self.cur,
                    Statement {
                        sql: String::new(),
                        args: AnyArguments::default(),
                        rows: false,
                    },
                );
                if !s.sql.trim().is_empty() {
                    self.done.push(s);
                }
                self.n = 0;
            }
        }
        self
    }

    /// Runs the script in `tx` and returns the rows of its `returning`
    /// statements, in order. A failing statement fails the script; the
    /// caller's transaction is then rolled back, so nothing of it remains.
    pub async fn run(
        mut self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<Vec<AnyRow>, StoreError> {
        if let Some(e) = self.error {
            return Err(StoreError::BadInput(format!("cannot encode a value: {e}")));
        }
        self.end();
        let mut out = Vec::new();
        match self.backend {
            Backend::Sqlite => {
                if !self.cur.sql.trim().is_empty() {
                    let q = sqlx::query_with(sqlx::AssertSqlSafe(self.cur.sql), self.cur.args);
                    out = q.fetch_all(&mut **tx).await?;
                }
            }
            Backend::Postgres => {
                for s in self.done {
                    let q = sqlx::query_with(sqlx::AssertSqlSafe(s.sql), s.args);
                    if s.rows {
                        out.extend(q.fetch_all(&mut **tx).await?);
                    } else {
                        q.execute(&mut **tx).await?;
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_numbers_across_statements_postgres_restarts() {
        for (backend, second) in [(Backend::Sqlite, "?, ?"), (Backend::Postgres, "$1, $2")] {
            let mut s = Script::new(backend);
            s.sql("INSERT INTO t (a, b)")
                .values([1i64], |t, v| {
                    t.bind(v).bind("x");
                })
                .end();
            s.sql("INSERT INTO t (a, b)")
                .values([2i64], |t, v| {
                    t.bind(v).bind("y");
                })
                .end();
            let text = match backend {
                Backend::Sqlite => s.cur.sql.clone(),
                Backend::Postgres => s.done[1].sql.clone(),
            };
            assert!(text.contains(&format!("VALUES ({second})")), "{text}");
        }
    }

    #[test]
    fn values_separates_tuples_and_fields() {
        let mut s = Script::new(Backend::Postgres);
        s.sql("INSERT INTO t (a, b)").values([1i64, 2], |t, v| {
            t.bind(v).bind(v * 10);
        });
        assert_eq!(s.cur.sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(s.cur.args.len(), 4);
    }
}
