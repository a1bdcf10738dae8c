-- depends_on: {{ ref('base_landing__lines') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
        pre_hook="{{ delete_unmapped_files(['int_webforms_events__mapped', 'int_requests_events__mapped', 'int_hubspot_events__mapped', 'int_marketo_events__mapped', 'int_onetrust_events__mapped', 'int_sends_events__mapped', 'int_salesforce_events__mapped', 'int_mailchimp_events__mapped']) }}",
    )
}}

{#- Every outcome of every mapping model in one shape, with the deterministic event_id; events
    dated after the end of the run date or before 2000 are rejected here. The shape is the one
    list of macros/consent_events.sql (event_outcome_columns), the columns each mapping model
    writes through canonical_event / line_outcome.

    Incremental (issue 9): a night writes only the files whose outcomes differ from the stored
    ones, and overwrites them whole (delete+insert by file_name: overwrite by partition, which
    Spark has too). A file differs when its row count or its order-free row fingerprint (a sum
    of row hashes, macro row_fingerprint) over the outcome columns differs between tonight's
    checked outcomes and the stored rows: a file the incremental mapping models (re)mapped
    tonight (sends included), a file a full-table mapping model (the snapshot sources) re-judged
    because a later or late file arrived, a file holding an event rejected as occurred_after_as_of that tonight's
    run date lets in. The comparison is per file, never per line, and event_id (a SHA-256) is
    computed only for the files written. email and capture_point are left out of the
    fingerprint: the erasure purge (macros/purge.sql) clears them in stored rows. The line's text
    is not an outcome column (issue 9: only base_landing__lines keeps it). A line the purge
    emptied keeps its stored outcome and is left out of the comparison (its text is gone,
    tonight's mapping reads its tombstone). The pre-hook removes the files no mapping model holds
    any more (re-read without a readable line, out of scope). The result is the table a full
    refresh builds. A run date older than the stored one (a backfill) is rebuilt in full by the
    orchestrator. -#}
{%- set mapped = [
    'int_webforms_events__mapped', 'int_requests_events__mapped', 'int_hubspot_events__mapped',
    'int_marketo_events__mapped', 'int_onetrust_events__mapped', 'int_sends_events__mapped',
    'int_salesforce_events__mapped', 'int_mailchimp_events__mapped',
] -%}
{%- set columns = event_outcome_columns() -%}
{#- what a file's fingerprint covers: every outcome column but those the erasure purge clears -#}
{%- set compared_columns = [] -%}
{%- for column in columns if column not in ('email', 'capture_point') -%}
    {%- do compared_columns.append(column) -%}
{%- endfor -%}
{%- set identified_event_id -%}
    case when outcome = 'event' then
        {{ event_id('source_system', 'source_record_id', 'occurred_at', 'purpose', 'channel', 'action') }}
    end
{%- endset -%}

with

{% if is_incremental() %}
erased_lines as (

    -- lines whose raw text the erasure purge replaced (macros/purge.sql): their text is gone, so
    -- they are never judged again and their stored outcomes stay (a file read again brings its
    -- text back and is judged as usual)
    select file_name, line_number
    from {{ ref('base_landing__lines') }}
    where line_number > 0 and raw_text like '{{ erased_line_marker() }}%'

),

judged_files as (

    -- tonight's checked outcomes per file: count and fingerprint (only the compared columns read)
    select checked.file_name, count(*) as outcome_count, {{ row_fingerprint(compared_columns) }} as outcome_fingerprint
    from ({{ checked_outcomes(mapped) }}) as checked
    where not exists (
        select 1 from erased_lines
        where erased_lines.file_name = checked.file_name and erased_lines.line_number = checked.line_number
    )
    group by checked.file_name

),

stored_files as (

    select stored.file_name, count(*) as outcome_count, {{ row_fingerprint(compared_columns) }} as outcome_fingerprint
    from {{ this }} as stored
    where not exists (
        select 1 from erased_lines
        where erased_lines.file_name = stored.file_name and erased_lines.line_number = stored.line_number
    )
    group by stored.file_name

),

changed_files as (

    -- files with outcomes not stored yet, stored otherwise, or stored but no longer produced (a
    -- late snapshot can turn a later observation into no change); per file, not per line
    select coalesce(judged_files.file_name, stored_files.file_name) as file_name
    from judged_files
    full outer join stored_files on stored_files.file_name = judged_files.file_name
    where stored_files.file_name is null
        or judged_files.file_name is null
        or stored_files.outcome_count <> judged_files.outcome_count
        or stored_files.outcome_fingerprint <> judged_files.outcome_fingerprint

),

identified as (

    -- the changed files' outcomes, read again whole, with their event_id
    select checked.*, {{ identified_event_id }} as event_id
    from ({{ checked_outcomes(mapped, 'file_name in (select file_name from changed_files)') }}) as checked
    where not exists (
        select 1 from erased_lines
        where erased_lines.file_name = checked.file_name and erased_lines.line_number = checked.line_number
    )

),

kept as (

    -- the stored outcomes of the changed files' erased lines
    select {{ columns | join(', ') }}, event_id
    from {{ this }} as stored
    where stored.file_name in (select file_name from changed_files)
        and exists (
            select 1 from erased_lines
            where erased_lines.file_name = stored.file_name and erased_lines.line_number = stored.line_number
        )

),

final as (

    select * from identified
    union all
    select * from kept

)
{% else %}
final as (

    select checked.*, {{ identified_event_id }} as event_id
    from ({{ checked_outcomes(mapped) }}) as checked

)
{% endif %}

select * from final
