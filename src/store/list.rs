//! The one place list queries become SQL: a resource's `Field` table maps the public
//! field names of a `query::ListQuery` to column expressions; values are always bound
//! parameters. A name the table does not declare is an internal error (the wire layer
//! only builds queries from declared fields).

use super::db::{ps, Db, Engine, Row, V};
use crate::error::{Error, Result};
use crate::query::{Kind, ListQuery, Op, Val};

/// A filterable or orderable field of a list: its public name, the SQL expression it
/// stands for, its kind, and (for references) the subquery mapping a uuid to a seq.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub sql: &'static str,
    pub kind: Kind,
    pub lookup: Option<&'static str>,
    /// The column already holds the folded value (a `*_key` column): equality compares
    /// it with the folded parameter directly, so its index serves the filter.
    pub stored_folded: bool,
}

impl Field {
    pub const fn new(name: &'static str, sql: &'static str, kind: Kind) -> Field {
        Field {
            name,
            sql,
            kind,
            lookup: None,
            stored_folded: false,
        }
    }
    /// A case-insensitive field backed by a column holding `model::fold` of the value.
    pub const fn key(name: &'static str, sql: &'static str) -> Field {
        Field {
            name,
            sql,
            kind: Kind::FoldedText,
            lookup: None,
            stored_folded: true,
        }
    }
    pub const fn reference(name: &'static str, sql: &'static str, lookup: &'static str) -> Field {
        Field {
            name,
            sql,
            kind: Kind::Ref,
            lookup: Some(lookup),
            stored_folded: false,
        }
    }
}

/// The public part of a field table.
pub fn specs(fields: &[Field]) -> Vec<crate::query::FieldSpec> {
    fields
        .iter()
        .map(|f| crate::query::FieldSpec {
            name: f.name,
            kind: f.kind,
        })
        .collect()
}

fn find<'a>(fields: &'a [Field], name: &str) -> Result<&'a Field> {
    fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| Error::Internal(format!("list query names an undeclared field {name:?}")))
}

fn bind(v: &Val) -> V {
    match v {
        Val::Text(s) => V::Text(s.clone()),
        Val::Int(i) => V::Int(*i),
    }
}

/// The start of a list's filter: ` WHERE TRUE`, and, for a non-staff caller `visible_to`,
/// ` AND <clause>` with the caller's seq bound to each `?` in the clause.
pub fn visibility(visible_to: Option<i64>, clause: &str) -> (String, Vec<V>) {
    let mut filter = String::from(" WHERE TRUE");
    let mut params = vec![];
    if let Some(me) = visible_to {
        params = vec![V::Int(me); clause.matches('?').count()];
        filter.push_str(" AND ");
        filter.push_str(clause);
    }
    (filter, params)
}

/// Builds ` AND ...` clauses for `q` against `fields` and the given search column,
/// pushing parameters.
pub fn where_sql(
    q: &ListQuery,
    fields: &[Field],
    search_col: &str,
    params: &mut Vec<V>,
) -> Result<String> {
    let mut sql = String::new();
    for c in &q.conds {
        let f = find(fields, c.field)?;
        let col = f.sql;
        let folded = matches!(f.kind, Kind::FoldedText);
        let Some(op) = nul_free(&c.op) else {
            sql.push_str(if c.negate { " AND TRUE" } else { " AND FALSE" });
            continue;
        };
        let clause = match op.as_ref() {
            // `fold` is idempotent (a unit test proves it over every char), so comparing
            // a stored key with the folded value is `orgreg_fold(key) = orgreg_fold(?)`
            // and can use the key's index.
            Op::Eq(Val::Text(s)) | Op::IEq(s) if f.stored_folded => {
                params.push(V::Text(crate::model::fold(s)));
                format!("{col} = ?")
            }
            Op::Eq(v) => {
                params.push(bind(v));
                match (f.kind, f.lookup) {
                    (Kind::Ref, Some(lookup)) => format!("{col} = ({lookup})"),
                    _ if folded => format!("orgreg_fold({col}) = orgreg_fold(?)"),
                    _ => format!("{col} = ?"),
                }
            }
            Op::IEq(s) => {
                params.push(V::Text(s.clone()));
                format!("orgreg_fold({col}) = orgreg_fold(?)")
            }
            Op::IContains(s) => {
                params.push(V::Text(crate::model::fold(s)));
                format!("instr(coalesce(orgreg_fold({col}), ''), ?) > 0")
            }
            Op::StartsWith(s) => {
                let folded = crate::model::fold(s);
                params.push(V::Text(folded.clone()));
                params.push(V::Text(folded));
                format!("substr(coalesce(orgreg_fold({col}), ''), 1, length(?)) = ?")
            }
            Op::In(vs) => {
                if vs.is_empty() {
                    "FALSE".to_string()
                } else {
                    let marks = vec!["?"; vs.len()].join(", ");
                    params.extend(vs.iter().map(bind));
                    match (f.kind, f.lookup) {
                        (Kind::Ref, Some(lookup)) => {
                            let inner = lookup.replace("= ?", &format!("IN ({marks})"));
                            format!("{col} IN ({inner})")
                        }
                        _ => format!("{col} IN ({marks})"),
                    }
                }
            }
            Op::IsNull(true) => format!("{col} IS NULL"),
            Op::IsNull(false) => format!("{col} IS NOT NULL"),
            Op::Gt(v) | Op::Gte(v) | Op::Lt(v) | Op::Lte(v) => {
                let sym = match op.as_ref() {
                    Op::Gt(_) => ">",
                    Op::Gte(_) => ">=",
                    Op::Lt(_) => "<",
                    _ => "<=",
                };
                params.push(bind(v));
                format!("{col} {sym} ?")
            }
        };
        if c.negate {
            sql.push_str(&format!(" AND NOT coalesce({clause}, FALSE)"));
        } else {
            sql.push_str(&format!(" AND {clause}"));
        }
    }
    for term in &q.search {
        if term.contains('\0') {
            sql.push_str(" AND FALSE"); // see `nul_free`
            continue;
        }
        params.push(V::Text(crate::model::fold(term)));
        sql.push_str(&format!(" AND instr({search_col}, ?) > 0"));
    }
    Ok(sql)
}

/// `op` with its text free of NUL, or `None` when it can match no row. No stored text
/// holds a NUL (writes refuse them, and PostgreSQL text cannot), so an equality,
/// containment or prefix test with one never holds, a NUL text drops out of an `IN`
/// list, and an order comparison with `p\0…` is one with `p` (no stored text lies
/// between them: `> p\0…` is `> p`, `< p\0…` is `<= p`). Decided here, every engine
/// answers the same.
fn nul_free(op: &Op) -> Option<std::borrow::Cow<'_, Op>> {
    use std::borrow::Cow;
    let has = |s: &str| s.contains('\0');
    let before = |s: &str| Val::Text(s.split('\0').next().unwrap_or_default().to_string());
    match op {
        Op::Eq(Val::Text(s)) | Op::IEq(s) | Op::IContains(s) | Op::StartsWith(s) if has(s) => None,
        Op::In(vs) if vs.iter().any(|v| matches!(v, Val::Text(s) if has(s))) => {
            Some(Cow::Owned(Op::In(
                vs.iter()
                    .filter(|v| !matches!(v, Val::Text(s) if has(s)))
                    .cloned()
                    .collect(),
            )))
        }
        Op::Gt(Val::Text(s)) | Op::Gte(Val::Text(s)) if has(s) => {
            Some(Cow::Owned(Op::Gt(before(s))))
        }
        Op::Lt(Val::Text(s)) | Op::Lte(Val::Text(s)) if has(s) => {
            Some(Cow::Owned(Op::Lte(before(s))))
        }
        other => Some(Cow::Borrowed(other)),
    }
}

/// ` ORDER BY ...` with the creation-order tie-breaker (always ascending).
pub fn order_sql(q: &ListQuery, fields: &[Field], default: &str, seq_col: &str) -> Result<String> {
    let mut parts = vec![];
    for (name, desc) in &q.order {
        let f = find(fields, name)?;
        // NULLs sort first ascending, as SQLite sorts them (PostgreSQL's default is last);
        // on SQLite these are the defaults, spelled out.
        let dir = if *desc {
            "DESC NULLS LAST"
        } else {
            "ASC NULLS FIRST"
        };
        parts.push(format!("{} {dir}", f.sql));
    }
    if parts.is_empty() && !default.is_empty() {
        parts.push(default.to_string());
    }
    parts.push(format!("{seq_col} ASC"));
    Ok(format!(" ORDER BY {}", parts.join(", ")))
}

/// The most rows a list's `count` is exact for. Counting stops after `COUNT_CAP + 1`
/// matching rows, so a count never reads the whole of a large table; a longer list reports
/// a lower bound (see `page`). docs/API.md describes the policy.
pub const COUNT_CAP: i64 = 10_000;

/// The most candidates an FTS lookup may return for the store to drive a list from it
/// (fetch the candidates, check them, sort them); a term matching more rows is common, so
/// walking the list's order index finds a page of matches sooner.
pub const FTS_DRIVE_MAX: i64 = 2_000;

/// A trigram full-text index over a table's `search_text` (see schema.sql): `table` is the
/// FTS5 table (its rowid is the base table's `seq`), `key` the list's column holding that
/// seq, and `covers` the fields whose folded value is one line of `search_text`, so that a
/// substring of the field is a substring of `search_text`.
#[derive(Debug, Clone, Copy)]
pub struct Fts {
    pub table: &'static str,
    pub key: &'static str,
    pub covers: &'static [&'static str],
}

/// The FTS5 query whose matches are a superset of the rows satisfying the substring
/// conditions of `q` that an index can serve: every `search` term and every non-negated
/// `icontains` on a covered field, each at least 3 characters long (shorter ones are left
/// to the exact predicate alone). Each term becomes the AND of trigrams covering it, so
/// the FTS table can be `detail=none`; the exact `instr` predicates built by `where_sql`
/// stay in the query, which keeps today's semantics exactly.
pub fn fts_match(q: &ListQuery, fts: &Fts) -> Option<String> {
    let mut terms: Vec<String> = q.search.iter().map(|t| crate::model::fold(t)).collect();
    for c in &q.conds {
        if let (Op::IContains(s), false) = (&c.op, c.negate) {
            if fts.covers.contains(&c.field) {
                let t = crate::model::fold(s);
                // A term spanning a line break could match across two fields of a
                // combined column (`name_or_description`) but not `search_text`.
                if !t.contains('\n') {
                    terms.push(t);
                }
            }
        }
    }
    let mut grams: Vec<String> = vec![];
    for t in &terms {
        let chars: Vec<char> = t.chars().collect();
        if chars.len() < 3 {
            continue;
        }
        let last = chars.len() - 3;
        let mut at: Vec<usize> = (0..=last).step_by(3).collect();
        if at.last() != Some(&last) {
            at.push(last);
        }
        for i in at {
            let g: String = chars[i..i + 3].iter().collect();
            // FTS5 refuses a query holding NUL; leaving the trigram out only widens the
            // candidate superset.
            if g.contains('\0') {
                continue;
            }
            let quoted = format!("\"{}\"", g.replace('"', "\"\""));
            if !grams.contains(&quoted) {
                grams.push(quoted);
            }
        }
    }
    if grams.is_empty() {
        None
    } else {
        Some(grams.join(" AND "))
    }
}

/// Restricts `filter` to the FTS candidates of `q` when there are few of them (at most
/// `FTS_DRIVE_MAX`, counted with a bounded query): the list is then driven from the
/// candidates. With more candidates the term is common and the list walks its order
/// instead, checking the exact predicate row by row.
pub fn fts_restrict(
    c: &impl Db,
    q: &ListQuery,
    fts: &Fts,
    filter: &mut String,
    params: &mut Vec<V>,
) -> Result<()> {
    // PostgreSQL has no FTS5 table: the exact `strpos` predicates alone decide there
    // (the pg_trgm index on `search_text` can serve a `LIKE` form of them later).
    if c.engine() == Engine::Postgres {
        return Ok(());
    }
    let Some(m) = fts_match(q, fts) else {
        return Ok(());
    };
    let sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {t} MATCH ? LIMIT {lim}) AS n",
        t = fts.table,
        lim = FTS_DRIVE_MAX + 1
    );
    record(&sql, &[V::Text(m.clone())]);
    let key = [V::Text(m.clone())];
    let n = super::counts::cached(&sql, &key, || {
        Ok(c.one(&sql, &ps(&key), |r| r.get::<i64>(0))?.unwrap_or(0))
    })?;
    if n <= FTS_DRIVE_MAX {
        filter.push_str(&format!(
            " AND {k} IN (SELECT rowid FROM {t} WHERE {t} MATCH ?)",
            k = fts.key,
            t = fts.table
        ));
        params.push(V::Text(m));
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Every list statement run on this thread, with its parameters (the query-plan test).
    pub static RECORDED: std::cell::RefCell<Vec<(String, Vec<V>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
fn record(sql: &str, params: &[V]) {
    RECORDED.with(|r| r.borrow_mut().push((sql.to_string(), params.to_vec())));
}

#[cfg(not(test))]
fn record(_: &str, _: &[V]) {}

/// Each plain `?` of `sql` wrapped in a cast to its bound value's type. SQLite expires
/// a cached statement and re-prepares it on every run when a WHERE parameter of a query
/// with a LEFT JOIN is bound anew; through a cast it keeps the prepared plan (indexes
/// still apply: the cast is a constant). The list SQL built here uses only plain `?`,
/// in the order of `params`.
fn typed_params(sql: &str, params: &[V]) -> String {
    let mut out = String::with_capacity(sql.len() + params.len() * 20);
    let mut kinds = params.iter();
    for (i, part) in sql.split('?').enumerate() {
        if i > 0 {
            out.push_str(match kinds.next() {
                Some(V::Int(_)) => "CAST(? AS INTEGER)",
                Some(V::Text(_)) => "CAST(? AS TEXT)",
                _ => "?",
            });
        }
        out.push_str(part);
    }
    out
}

/// Runs a list query: the count of `from + filter` (bounded, see `COUNT_CAP`), then one
/// page of `cols` in `order` (which must end in a total order), mapped by `row`. The first
/// of `cols` is the row's key (its table's `seq`).
///
/// The count is exact up to `COUNT_CAP` rows. Past it, the count is a lower bound that
/// keeps paging working: `COUNT_CAP + 1`, or the rows up to the end of this page plus one
/// when a further row exists (so a `next` link is offered), and exact on the last page.
#[allow(clippy::too_many_arguments)]
pub fn page<T>(
    c: &impl Db,
    cols: &str,
    from: &str,
    filter: &str,
    mut params: Vec<V>,
    order: &str,
    q: &ListQuery,
    row: impl FnMut(&Row) -> Result<T>,
) -> Result<crate::model::Page<T>> {
    let count_sql = format!(
        "SELECT count(*) FROM (SELECT 1{from}{filter} LIMIT {}) AS n",
        COUNT_CAP + 1
    );
    let count_sql = typed_params(&count_sql, &params);
    record(&count_sql, &params);
    let counted = super::counts::cached(&count_sql, &params, || {
        Ok(c.one(&count_sql, &ps(&params), |r| r.get::<i64>(0))?
            .unwrap_or(0))
    })?;
    // One row past the page tells whether a further row exists (for a count past the cap).
    params.push(V::Int(q.limit.saturating_add(1)));
    params.push(V::Int(q.offset));
    // Late row lookup: the page's keys first (filter and order only: unused LEFT JOINs
    // drop out), then the columns, joins and per-row subqueries (member counts) for those
    // rows alone, not for every row the sort or the offset passes over.
    let key = cols.split(',').next().unwrap_or_default().trim();
    let keys_from = needed_joins(from, &format!("{filter}{order}"));
    let sql = format!(
        "SELECT {cols}{from} WHERE {key} IN (SELECT {key}{keys_from}{filter}{order} LIMIT ? OFFSET ?){order}"
    );
    let sql = typed_params(&sql, &params);
    record(&sql, &params);
    let mut items = c.all(&sql, &ps(&params), row)?;
    let more = items.len() as i64 > q.limit.max(0);
    items.truncate(q.limit.max(0) as usize);
    let count = if counted <= COUNT_CAP {
        counted
    } else {
        (COUNT_CAP + 1).max(q.offset.saturating_add(items.len() as i64) + i64::from(more))
    };
    Ok(crate::model::Page { count, items })
}

/// `from` without the LEFT JOINs whose alias `used` does not mention: a LEFT JOIN on a
/// key adds no rows, so the page's keys need only the joins its filter and order read.
fn needed_joins(from: &str, used: &str) -> String {
    let mut parts = from.split(" LEFT JOIN ");
    let mut out = parts.next().unwrap_or_default().to_string();
    for join in parts {
        let alias = join.split_whitespace().nth(1).unwrap_or_default();
        if used.contains(&format!("{alias}.")) {
            out.push_str(" LEFT JOIN ");
            out.push_str(join);
        }
    }
    out
}

#[cfg(test)]
#[path = "list_plans.rs"]
mod plans;
