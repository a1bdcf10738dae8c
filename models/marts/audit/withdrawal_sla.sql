{{
    config(
        materialized='incremental',
        unique_key=['contact_key', 'evidence_event_id'],
        contract={'enforced': true},
        on_schema_change='fail',
    )
}}

{#- Each suppression, its legal deadline, and the run date that first built it. Incremental so
    the first run's date is kept; a full refresh restarts the clock at the refresh's date. -#}
with

suppressions as (

    select * from {{ ref('suppression_list') }}

),

{% if is_incremental() %}
already_seen as (

    select contact_key, evidence_event_id from {{ this }}

),
{% endif %}

final as (

    select
        suppressions.contact_key,
        suppressions.evidence_event_id,
        suppressions.reason,
        suppressions.scope,
        suppressions.channel,
        suppressions.purpose,
        suppressions.suppressed_since,
        suppressions.honour_by,
        {{ as_of_date() }} as first_published_as_of,
        {{ as_of_date() }} > suppressions.honour_by as is_late
    from suppressions
    {% if is_incremental() %}
    where not exists (
        select 1 from already_seen
        where already_seen.contact_key = suppressions.contact_key
            and already_seen.evidence_event_id = suppressions.evidence_event_id
    )
    {% endif %}

)

select * from final
