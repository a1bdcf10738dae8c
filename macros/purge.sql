{#- Erasure reaches the working store (issue 11). The published file never holds an erased
    person's address (macros/redaction.sql, publish); the working database keeps raw lines and
    plain addresses, because tomorrow's incremental run needs them. After a publish has recorded
    every known erasure by contact_key in audit.publication_ledger (so the working store may
    forget the lines that carried them), this purges, from every table seeds/personal_data_columns
    declares, every row of an erased contact:

    - a row whose contact_key is erased, or whose declared column names an erased address in any
      spelling (case, spaces, JSON \u0040, URL %40, HTML &#64;; redaction.sql knows them, so a
      line that names the person only in a page URL or a second address counts too);
    - found by key joins, not by reading text (issue 9: the nightly cost is the new day's): a
      table of landed lines (it has file_name and line_number; its declared columns are read from
      that line) joins int_landing_lines__mentions, which found who each line names once, when it
      landed. Only a table whose rows are not landed lines (contacts, marts) still has its
      declared columns searched for addresses, and those hold one short value per contact. Every
      erased contact is joined every night, not only tonight's: a join costs a scan of two key
      columns, and it is what purges a table rebuilt by a full refresh or backfill again (rows
      already purged are left alone: they carry the marker or null, and are skipped before the
      joins, so a night with no new erasure pays a scan of the declared columns);
    - a landed file's name can hold an address too (`submissions_carla@example.com.jsonl`): a
      table that keeps landed files' paths (it has path_key and declares a `null` column:
      base_landing__scan) also matches, by path_key, every file base_landing__files found naming an
      erased contact (file_contact_key, the address after the kind's prefix, which the spelling
      search would read as `submissions_carla@...`); those rows lose every declared value. The
      file keeps its path_key (the SHA-256 of the path), which names no one, so the next night
      still knows it and does not read it again;
    - `purge_as = line`: the raw line becomes `[erased line <sha256 of the line>]`: file, line
      number, loaded_at, line_error and the line's hash stay, so reconciliation still balances and
      the file is not "changed" (its content hash is on line 0, which holds no text);
    - `purge_as = null`: the value becomes null.

    Which table holds personal data is declared once, in the seed; a declared model or column that
    is not in the working store stops the purge (the declaration is stale) instead of skipping
    it. The purge is idempotent (a purged value no longer names anyone) and a later re-delivery of
    the address is purged again after the run that read it. Every update is counted in
    erasure_purges (run_id, relation, rows, and rows_with_address: how many of them held a raw
    line that names an erased address, a value naming one in any spelling, or a path naming one). DuckDB does not
    zero freed blocks, so the caller compacts the file when a purged value held an address. A
    purge that only cleared values naming no one (a table rebuilt from purged inputs recreates
    constants such as `Lead.unsubscribed` as an erased contact's capture point, and they are
    cleared again every night) leaves nothing of the address in the freed blocks: no compaction. Run by orchestration/defs/publish/erasure.py:
    `dbt run-operation purge_erased_personal_data --args '{run_id: ...}'`. -#}

{% macro erased_line_marker() -%}
[erased line
{%- endmacro %}

{% macro purge_erased_personal_data(run_id) %}
    {%- set declared = run_query(
        "select model_name, column_name, purge_as from " ~ ref('personal_data_columns')
        ~ " order by model_name, column_name") -%}
    {%- set erased = api.Relation.create(identifier='erasure_purge_contacts') -%}
    {%- set erased_lines = api.Relation.create(identifier='erasure_purge_lines') -%}
    {%- set erased_files = api.Relation.create(identifier='erasure_purge_files') -%}
    {%- set purge_rows = api.Relation.create(identifier='erasure_purge_rows') -%}
    {%- set mentions = ref('int_landing_lines__mentions') -%}
    {%- if adapter.get_relation(mentions.database, mentions.schema, mentions.identifier) is none -%}
        {{ exceptions.raise_compiler_error("the purge needs " ~ mentions ~ " (who each landed line names): build it first") }}
    {%- endif -%}
    {%- set landed_files = ref('base_landing__files') -%}
    {%- if adapter.get_relation(landed_files.database, landed_files.schema, landed_files.identifier) is none -%}
        {{ exceptions.raise_compiler_error("the purge needs " ~ landed_files ~ " (whose address each file name holds): build it first") }}
    {%- endif -%}
    {%- set log_table = api.Relation.create(database=target.database, schema=target.schema,
                                            identifier='erasure_purges') -%}
    {%- do run_query("create or replace temporary table " ~ erased ~ " as select distinct contact_key from "
                     ~ ref('int_erasures__known') ~ " where contact_key is not null") -%}
    {%- do run_query("create or replace temporary table " ~ erased_lines ~ " as select distinct mentions.file_name,"
                     ~ " mentions.line_number from " ~ mentions ~ " as mentions inner join " ~ erased
                     ~ " as erased on erased.contact_key = mentions.contact_key") -%}
    {%- do run_query("create or replace temporary table " ~ erased_files ~ " as select distinct files.path_key from "
                     ~ landed_files ~ " as files inner join " ~ erased
                     ~ " as erased on erased.contact_key = files.file_contact_key") -%}
    {%- do run_query("create table if not exists " ~ log_table ~ " (run_id " ~ dbt.type_string()
                     ~ ", relation_name " ~ dbt.type_string() ~ ", rows_purged " ~ dbt.type_bigint()
                     ~ ", purged_at " ~ dbt.type_timestamp() ~ ")") -%}
    {#- a working store purged before rows_with_address existed: null there means unknown (compact) -#}
    {%- do run_query("alter table " ~ log_table ~ " add column if not exists rows_with_address " ~ dbt.type_bigint()) -%}
    {%- set models = declared.columns[0].values() | unique | list -%}
    {%- for model_name in models -%}
        {%- set relation = ref(model_name) -%}
        {%- set existing = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
        {%- if existing is none -%}
            {{ exceptions.raise_compiler_error("seeds/personal_data_columns.csv declares " ~ model_name
                ~ ", which is not in the working store: update the declaration") }}
        {%- endif -%}
        {%- if existing.is_table -%}
            {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name')
                              | map('lower') | list -%}
            {%- set columns = [] -%}
            {%- for row in declared.rows if row[0] == model_name -%}
                {%- if row[1] | lower not in present -%}
                    {{ exceptions.raise_compiler_error("seeds/personal_data_columns.csv declares " ~ model_name
                        ~ "." ~ row[1] ~ ", which that table does not have: update the declaration") }}
                {%- endif -%}
                {%- do columns.append({'name': adapter.quote(row[1] | lower), 'purge_as': row[2]}) -%}
            {%- endfor -%}
            {%- set of_lines = 'file_name' in present and 'line_number' in present -%}
            {%- set of_paths = 'path_key' in present and columns | selectattr('purge_as', 'equalto', 'null') | list | length > 0 -%}
            {%- do run_query(purge_rows_statement(purge_rows, existing, columns, 'contact_key' in present, erased,
                                                  erased_lines if of_lines else none,
                                                  erased_files if of_paths else none)) -%}
            {%- set counted = run_query("select count(*), count(*) filter (where with_address) from " ~ purge_rows) -%}
            {%- set rows = counted.columns[0].values()[0] -%}
            {%- set address_rows = counted.columns[1].values()[0] -%}
            {%- if rows > 0 -%}
                {%- do run_query(purge_update_statement(purge_rows, existing, columns)) -%}
            {%- endif -%}
            {%- do run_query("insert into " ~ log_table ~ " (run_id, relation_name, rows_purged, purged_at, rows_with_address)"
                             ~ " values ('" ~ run_id ~ "', '" ~ existing ~ "', " ~ rows ~ ", "
                             ~ dbt.current_timestamp() ~ ", " ~ address_rows ~ ")") -%}
            {{ log("purged " ~ rows ~ " rows of erased contacts from " ~ existing, info=true) }}
        {%- endif -%}
    {%- endfor -%}
    {%- do run_query("drop table if exists " ~ purge_rows) -%}
    {%- do run_query("drop table " ~ erased_files) -%}
    {%- do run_query("drop table " ~ erased_lines) -%}
    {%- do run_query("drop table " ~ erased) -%}
    {%- do adapter.commit() -%}
{% endmacro %}

{#- The rows of one table to purge, into a temporary table, so that which rows match and what each
    value becomes is computed once: the rows that belong to or name an erased contact and still
    hold a value to purge, each with its purged values (purged_<n>) and whether a value that
    changes held an address (with_address). A table of landed lines (erased_lines given: the
    lines that name an erased contact, from int_landing_lines__mentions) is matched by its line;
    any other table by searching its declared columns; a table that keeps files' paths
    (erased_files given: the path_key of each file whose name names an erased contact) by its
    file too. A value held an address when it names an erased contact in any spelling (a raw line
    when the index found her in it) or belongs to a file named after one: an erased contact's line
    that never names her address (a Marketo activity keyed by lead id) is purged from the tables
    that know her key, but holds no address. -#}
{% macro purge_rows_statement(target, relation, columns, has_contact_key, erased, erased_lines=none, erased_files=none) -%}
    create or replace temporary table {{ target }} as
    with matched as (
        select
            purged.rowid as purged_rowid,
            {%- if erased_files is not none %}
            purged.path_key in (select path_key from {{ erased_files }}) as of_named_file,
            {%- else %}
            false as of_named_file,
            {%- endif %}
            {%- if erased_lines is not none %}
            exists (
                select 1 from {{ erased_lines }} as erased_line
                where erased_line.file_name = purged.file_name and erased_line.line_number = purged.line_number
            ) as of_named_line,
            {%- else %}
            false as of_named_line,
            {%- endif %}
            {%- for column in columns %}
            purged.{{ column.name }} as held_{{ loop.index }},
            {{ purged_column(column, has_contact_key, erased, erased_files) }} as purged_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ relation }} as purged
        where (
            -- a row whose every declared value is already purged (null, or a line's marker) cannot
            -- change (see `changed`): skipped before the joins, so a night with no new erasure and
            -- nothing re-read costs a scan of the declared columns, not the matching again
            {%- for column in columns %}
            ({{ held_value_to_purge('purged.' ~ column.name, column.purge_as) }}){{ " or" if not loop.last }}
            {%- endfor %}
        ) and (
            {%- if has_contact_key %}
            purged.contact_key in (select contact_key from {{ erased }}) or
            {%- endif %}
            {%- if erased_files is not none %}
            purged.path_key in (select path_key from {{ erased_files }}) or
            {%- endif %}
            {%- if erased_lines is not none %}
            exists (
                select 1 from {{ erased_lines }} as erased_line
                where erased_line.file_name = purged.file_name and erased_line.line_number = purged.line_number
            )
            {%- else %}
            {%- for column in columns %}
            {{ names_erased_contact('purged.' ~ column.name, erased) }}{{ " or" if not loop.last }}
            {%- endfor %}
            {%- endif %}
        )
    ),

    changed as (
        -- only rows where a value changes: a purged value no longer names anyone, and a
        -- bystander's own address stays, so a second purge touches nothing
        select *
        from matched
        where
            {%- for column in columns %}
            purged_{{ loop.index }} is distinct from held_{{ loop.index }}{{ " or" if not loop.last }}
            {%- endfor %}
    )

    select
        purged_rowid,
        {%- for column in columns %}
        purged_{{ loop.index }},
        {%- endfor %}
        of_named_file
        {%- for column in columns %}
        or (
            purged_{{ loop.index }} is distinct from held_{{ loop.index }}
            and ({{ names_erased_contact('held_' ~ loop.index, erased) }}
                {%- if column.purge_as == 'line' %} or of_named_line{% endif %})
        )
        {%- endfor %}
        as with_address
    from changed
{%- endmacro %}

{#- Whether a declared value still holds something a purge would change: not null, and for a raw
    line, not already the erased-line marker (purged_value leaves both as they are). -#}
{% macro held_value_to_purge(column, purge_as) -%}
    {{ column }} is not null
    {%- if purge_as == 'line' %} and {{ column }} not like '{{ erased_line_marker() }}%'{% endif %}
{%- endmacro %}

{#- Write the purged values of the rows purge_rows_statement found. -#}
{% macro purge_update_statement(rows, relation, columns) -%}
    update {{ relation }} as purged
    set
        {%- for column in columns %}
        {{ column.name }} = {{ rows }}.purged_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ rows }}
    where purged.rowid = {{ rows }}.purged_rowid
{%- endmacro %}

{#- A row of an erased contact loses every declared value. A row of someone else that names an
    erased address (a form whose page URL names her) loses its raw line and each value that itself
    names her, never its own address: clearing a bystander's email would leave their contact without
    one, and marketable_audience requires it. A row of a file whose name names an erased contact
    (erased_files) loses every declared value: its path is what names her. -#}
{% macro purged_column(column, has_contact_key, erased, erased_files=none) -%}
    {%- if column.purge_as == 'line' and not has_contact_key -%}
        {{ purged_value(column.name, 'line') }}
    {%- else -%}
        case
            {%- if has_contact_key %}
            when purged.contact_key in (select contact_key from {{ erased }})
                then {{ purged_value(column.name, column.purge_as) }}
            {%- endif %}
            {%- if erased_files is not none %}
            when purged.path_key in (select path_key from {{ erased_files }})
                then {{ purged_value(column.name, column.purge_as) }}
            {%- endif %}
            {%- if column.purge_as == 'line' %}
            else {{ purged_value(column.name, column.purge_as) }}
            {%- else %}
            when {{ names_erased_contact('purged.' ~ column.name, erased) }}
                then {{ purged_value(column.name, column.purge_as) }}
            else {{ column.name }}
            {%- endif %}
        end
    {%- endif -%}
{%- endmacro %}

{% macro purged_value(column, purge_as) -%}
    {%- if purge_as == 'line' -%}
        case when {{ column }} is null or {{ column }} like '{{ erased_line_marker() }}%' then {{ column }}
            else concat('{{ erased_line_marker() }} ', {{ sha256_hex(column) }}, ']') end
    {%- elif purge_as == 'null' -%}
        null
    {%- else -%}
        {{ exceptions.raise_compiler_error("seeds/personal_data_columns.csv: purge_as must be line or null, not " ~ purge_as) }}
    {%- endif -%}
{%- endmacro %}
