{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
    )
}}

{#- A record re-delivered in a later file is the same event (same event_id): the first reading
    (earliest load, then file, line) is the event, later ones are duplicates.

    Conflicting re-deliveries (issue 10, fail closed, principle 5). event_id hashes only
    source_system, source_record_id, occurred_at, purpose, channel and action, so two readings of
    one event can disagree on its proof. Which reading arrived first must not decide what the
    event proves, so the proof of the accepted event is taken over all its readings, the same
    whatever order the files arrived in:
    - lawful_basis, was_prechecked, policy_version, capture_method, capture_point, country_code:
      the value every reading gives; null when they disagree (unknown is never yes: the resolver
      takes a null basis, pre-check state, capture or notice version as no proof);
    - expires_at: the earliest any reading gives (a reading without one never extends it);
    - double_opt_in_at: the latest any reading gives; null when any reading has none.
    The later readings stay 'duplicate' (reconciliation still balances), with reason
    'conflicting_redelivery' when the readings disagree on any of these fields.

    Incremental: only files whose outcomes are new or changed in int_consent_events__unioned are
    judged, plus the stored files holding an earlier or later reading of one of their event_ids
    (a re-delivery), so a reading that arrives late but ranks first still wins and the one it
    displaces becomes a duplicate, and the accepted reading's proof is recomputed over every
    stored reading. An event_id never seen before is decided without looking at history
    (anti-join); only the readings of the event_ids being judged are ranked, by window functions
    over the readings themselves (joining a ranking back to every outcome ran the 10M build out
    of memory). Judged files are
    overwritten whole (delete+insert by file_name: overwrite by partition). Which files changed is
    found from the outcomes' keys alone (file, line, element, outcome, reason, event_id), never
    their payload, before the query is rendered (query_values, macros/incremental.sql): the
    changed files are constants in the query, and when there are none the model renders an empty
    slice, so a night with nothing new costs that comparison of keys (issue 9).

    written_at: when the run that (re)wrote the row started (macros/incremental.sql); the
    resolver's watermark. loaded_at stays the run date the line was first read. -#}
{%- set columns = event_outcome_columns() + ['event_id'] -%}
{%- set changed_files_sql -%}
    -- files whose outcomes are new, changed or gone since this table was written
    select distinct coalesce(outcome_keys.file_name, stored.file_name) as file_name
    from (
        select file_name, line_number, element_index, outcome, reason, event_id
        from {{ ref('int_consent_events__unioned') }}
    ) as outcome_keys
    full outer join (
        select file_name, line_number, element_index, outcome, reason, event_id
        from {{ this }}
    ) as stored
        on stored.file_name = outcome_keys.file_name
        and stored.line_number = outcome_keys.line_number
        and stored.element_index = outcome_keys.element_index
    where stored.file_name is null
        or outcome_keys.file_name is null
        or (case when stored.outcome = 'duplicate' then 'event' else stored.outcome end) <> outcome_keys.outcome
        or coalesce(
            case when stored.outcome = 'duplicate' and stored.reason = 'conflicting_redelivery' then null
                else stored.reason end,
            ''
        ) <> coalesce(outcome_keys.reason, '')
        or coalesce(stored.event_id, '') <> coalesce(outcome_keys.event_id, '')
{%- endset -%}
{%- set changed_files = query_values(changed_files_sql) if is_incremental() else none -%}
{%- set nothing_changed = changed_files is not none and changed_files | length == 0 -%}
{%- set agreed_fields = [
    'lawful_basis', 'was_prechecked', 'policy_version', 'capture_method', 'capture_point', 'country_code',
] -%}

with

outcomes as (

    select * from {{ ref('int_consent_events__unioned') }}

),

{% if is_incremental() %}
outcome_keys as (

    -- what decides whether a file changed: its outcomes, without their payload
    select file_name, line_number, element_index, outcome, reason, event_id
    from {{ ref('int_consent_events__unioned') }}

),

stored as (

    select file_name, line_number, element_index, outcome, reason, event_id
    from {{ this }}

),

touched_event_ids as (

    -- events read in a changed file, now or as stored before
    select outcome_keys.event_id
    from outcome_keys
    where {{ value_in('outcome_keys.file_name', changed_files) }}
        and outcome_keys.outcome = 'event'
    union
    select stored.event_id
    from stored
    where {{ value_in('stored.file_name', changed_files) }}
        and stored.event_id is not null

),

redelivered_files as (

    -- stored files with another reading of one of those events: its rank may change
    select distinct stored.file_name
    from stored
    inner join touched_event_ids on touched_event_ids.event_id = stored.event_id

),

judged_files as (

    select distinct outcome_keys.file_name
    from outcome_keys
    where {{ value_in('outcome_keys.file_name', changed_files) }}
    union
    select file_name from redelivered_files

),

judged as (

    select outcomes.*
    from outcomes
    inner join judged_files on judged_files.file_name = outcomes.file_name

),

judged_event_ids as (

    select distinct event_id
    from judged
    where outcome = 'event'

),

other_readings as (

    -- readings of the judged events in files not judged tonight: they rank with tonight's
    -- readings and count in the proof, and are not rewritten
    select unioned.*
    from {{ ref('int_consent_events__unioned') }} as unioned
    left join judged_files on judged_files.file_name = unioned.file_name
    where judged_files.file_name is null
        and unioned.outcome = 'event'
        and unioned.event_id in (select event_id from judged_event_ids)

),

candidates as (

    select *, true as is_judged from judged
    union all
    select *, false as is_judged from other_readings

),
{% else %}
candidates as (

    select *, true as is_judged from outcomes

),
{% endif %}

ranked as (

    -- every reading of an event ranked among the readings of that event (any file), and what
    -- they prove together, whatever order they arrived in; window functions over the readings
    -- themselves, not a ranking joined back to them: at 10M events that join of every outcome
    -- ran the build out of memory. A non-event outcome is its own partition (by file): its rank
    -- and proof are not read.
    select
        *,
        row_number() over (
            partition by outcome = 'event', case when outcome = 'event' then event_id else file_name end
            order by loaded_at, file_name, line_number, element_index
        ) as delivery_rank,
        {% for field in agreed_fields -%}
        case when {{ readings_agree(field, 'same_event') }}
            then {% if field == 'was_prechecked' %}max(cast({{ field }} as integer)) over same_event = 1{% else %}max({{ field }}) over same_event{% endif %}
        end as agreed_{{ field }},
        {% endfor -%}
        min(expires_at) over same_event as earliest_expires_at,
        case when count(*) over same_event = count(double_opt_in_at) over same_event
            then max(double_opt_in_at) over same_event
        end as latest_double_opt_in_at,
        not (
            {% for field in agreed_fields + ['expires_at', 'double_opt_in_at'] -%}
            {{ readings_agree(field, 'same_event') }}
            {%- if not loop.last %} and{% endif %}
            {% endfor -%}
        ) as is_conflicting
    from candidates
    window same_event as (
        partition by outcome = 'event', case when outcome = 'event' then event_id else file_name end
    )

),

final as (

    select
        {% for column in columns -%}
        {% if column == 'outcome' -%}
        case when outcome = 'event' and delivery_rank > 1 then 'duplicate' else outcome end as outcome,
        {% elif column == 'reason' -%}
        case when outcome = 'event' and delivery_rank > 1 and is_conflicting then 'conflicting_redelivery'
            else reason end as reason,
        {% elif column in agreed_fields -%}
        case when outcome = 'event' and delivery_rank = 1 then agreed_{{ column }} else {{ column }} end as {{ column }},
        {% elif column == 'expires_at' -%}
        case when outcome = 'event' and delivery_rank = 1 then earliest_expires_at else expires_at end as expires_at,
        {% elif column == 'double_opt_in_at' -%}
        case when outcome = 'event' and delivery_rank = 1 then latest_double_opt_in_at else double_opt_in_at end as double_opt_in_at,
        {% else -%}
        {{ column }},
        {% endif -%}
        {% endfor -%}
        {{ run_written_at() }} as written_at
    from ranked
    where is_judged

)

{% if nothing_changed -%}
-- nothing changed since this table was written: an empty slice, read from no table
select * from {{ this }} where 1 = 0
{%- else -%}
select * from final
{%- endif %}
