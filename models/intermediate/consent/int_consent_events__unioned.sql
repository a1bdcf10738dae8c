-- depends_on: {{ ref('base_landing__lines') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
    )
}}

{#- Every outcome of every mapping model in one shape, with the deterministic event_id; events
    dated after the end of the run date or before 2000 are rejected here. The shape is the one
    list of macros/consent_events.sql (event_outcome_columns), the columns each mapping model
    writes through canonical_event / line_outcome.

    Incremental: a night writes only the files with an outcome that is new or changed since the
    last run (a new file; an event dated after the last run date that tonight's date lets in; a
    line a mapping re-judged because a later or late file arrived), found by comparing each
    line's outcome with the stored one, and overwrites those files whole (delete+insert by
    file_name: overwrite by partition, which Spark has too). The result is the table a full
    refresh builds. A run date older than the stored one (a backfill) is rebuilt in full by the
    orchestrator. A line the erasure purge emptied (macros/purge.sql) keeps its stored outcome. -#}
{%- set mapped_sources = ['webforms', 'requests', 'hubspot', 'marketo', 'onetrust', 'sends', 'salesforce', 'mailchimp'] -%}
{%- set columns = event_outcome_columns() -%}

with

{% for source in mapped_sources %}
{{ source }}_outcomes as (

    select {{ columns | join(', ') }}
    from {{ ref('int_' ~ source ~ '_events__mapped') }}

),

{% endfor %}
unioned as (

    {% for source in mapped_sources %}
    select * from {{ source }}_outcomes
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

checked as (

    select
        {% for column in columns if column not in ('outcome', 'reason') -%}
        {{ column }},
        {% endfor -%}
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'rejected'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'rejected'
            else outcome
        end as outcome,
        case
            when outcome = 'event' and occurred_at >= {{ as_of_instant() }} then 'occurred_after_as_of'
            when outcome = 'event' and occurred_at < cast('2000-01-01' as timestamp) then 'occurred_before_2000'
            else reason
        end as reason
    from unioned

),

identified as (

    select
        {{ columns | join(', ') }},
        case when outcome = 'event' then
            {{ event_id('source_system', 'source_record_id', 'occurred_at', 'purpose', 'channel', 'action') }}
        end as event_id
    from checked

),

{% if is_incremental() %}
erased_lines as (

    -- lines whose raw text the erasure purge replaced (macros/purge.sql): their text is gone, so
    -- they are never judged again and their stored outcomes stay (a file read again brings its
    -- text back and is judged as usual)
    select file_name, line_number
    from {{ ref('base_landing__lines') }}
    where line_number > 0 and raw_text like '{{ erased_line_marker() }}%'

),

judged as (

    select identified.*
    from identified
    left join erased_lines
        on erased_lines.file_name = identified.file_name
        and erased_lines.line_number = identified.line_number
    where erased_lines.file_name is null

),

previous as (

    select {{ columns | join(', ') }}, event_id
    from {{ this }}

),

stored as (

    select previous.file_name, previous.line_number, previous.element_index, previous.outcome,
        previous.reason, previous.event_id
    from previous
    left join erased_lines
        on erased_lines.file_name = previous.file_name
        and erased_lines.line_number = previous.line_number
    where erased_lines.file_name is null

),

kept as (

    select previous.*
    from previous
    inner join erased_lines
        on erased_lines.file_name = previous.file_name
        and erased_lines.line_number = previous.line_number

),

changed_files as (

    -- files with an outcome not stored yet, stored with another outcome, reason or event, or
    -- stored but no longer produced (a late snapshot can turn a later observation into no change)
    select distinct coalesce(judged.file_name, stored.file_name) as file_name
    from judged
    full outer join stored
        on stored.file_name = judged.file_name
        and stored.line_number = judged.line_number
        and stored.element_index = judged.element_index
    where stored.file_name is null
        or judged.file_name is null
        or stored.outcome <> judged.outcome
        or coalesce(stored.reason, '') <> coalesce(judged.reason, '')
        or coalesce(stored.event_id, '') <> coalesce(judged.event_id, '')

),

final as (

    select judged.*
    from judged
    inner join changed_files on changed_files.file_name = judged.file_name
    union all
    select kept.*
    from kept
    inner join changed_files on changed_files.file_name = kept.file_name

)
{% else %}
final as (

    select * from identified

)
{% endif %}

select * from final
