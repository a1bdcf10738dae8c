{#- Tonight's affected contacts: the only ones the resolver recomputes (issue 9). One row per
    contact_key, with why it is affected and the fingerprints of its inputs as read tonight (the
    state model stores them once the resolver has succeeded).

    A contact is affected when, against the state stored by the last successful run
    (int_contacts__resolution_state, read as a source):
    - new: it has no stored state (first run, a new contact);
    - events: its accepted events differ (new, re-judged, changed proof, or gone): the count and
      order-free fingerprint of its event rows differ from the stored ones;
    - jurisdiction: its rows in int_contact_countries__unioned differ (a new country record, or
      one that only now counts because its own timestamp passed);
    - clock: its next clock point (the earliest instant, not before the previous run's end of
      day, at which any of its cells could change without a new event: a lapse, a double opt-in
      confirmation, a re-consent policy taking effect, or an event dated after the previous run
      date) falls before the end of the new run date;
    - everyone: the seeds the resolver reads (jurisdictions, purposes, policy versions) changed,
      the run date went back (backfill), or there is no stored state (full refresh).
    Fingerprints instead of a loaded_at watermark: a fingerprint also sees rows that were
    rewritten or removed without a new load time, and it never moves on its own, so a failed run
    loses nothing (the state is written only after the resolver succeeded). -#}
with

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event'

),

countries as (

    select * from {{ ref('int_contact_countries__unioned') }}

),

event_fingerprints as (

    select
        contact_key,
        count(*) as event_count,
        {{ row_fingerprint([
            'event_id', 'email', 'source_system', 'scope', 'channel', 'purpose', 'action', 'lawful_basis',
            'occurred_at', 'capture_method', 'capture_point', 'policy_version', 'was_prechecked',
            'double_opt_in_at', 'country_code', 'expires_at',
        ]) }} as event_fingerprint
    from events
    group by contact_key

),

country_fingerprints as (

    select
        contact_key,
        {{ row_fingerprint(['country_code', 'subdivision_code', 'source_system', 'observed_at']) }}
            as country_fingerprint
    from countries
    group by contact_key

),

seed_fingerprint as (

    -- the seeds the resolved models read: any change re-resolves everyone
    select {{ row_fingerprint(['seed_name', 'seed_row']) }} as seeds_fingerprint
    from (
        select 'jurisdictions' as seed_name, {{ row_as_text('jurisdictions') }} as seed_row
        from {{ ref('jurisdictions') }} as jurisdictions
        union all
        select 'consent_purposes', {{ row_as_text('consent_purposes') }}
        from {{ ref('consent_purposes') }} as consent_purposes
        union all
        select 'policy_versions', {{ row_as_text('policy_versions') }}
        from {{ ref('policy_versions') }} as policy_versions
    ) as seed_rows

),

tonight as (

    select
        coalesce(event_fingerprints.contact_key, country_fingerprints.contact_key) as contact_key,
        coalesce(event_fingerprints.event_count, 0) as event_count,
        event_fingerprints.event_fingerprint,
        country_fingerprints.country_fingerprint
    from event_fingerprints
    full outer join country_fingerprints on country_fingerprints.contact_key = event_fingerprints.contact_key

),

{% if resolution_state_exists() %}
stored as (

    select * from {{ source('resolver_state', 'int_contacts__resolution_state') }}

),

run_state as (

    select
        max(resolved_as_of) as previous_as_of,
        count(distinct seeds_fingerprint) as seed_versions,
        max(seeds_fingerprint) as previous_seeds_fingerprint
    from stored

),

everyone as (

    -- one reason for all, or none
    select case
        when run_state.previous_as_of > {{ as_of_date() }} then 'backfill'
        when run_state.seed_versions <> 1
            or run_state.previous_seeds_fingerprint <> seed_fingerprint.seeds_fingerprint then 'seeds'
    end as reason
    from run_state
    cross join seed_fingerprint

),

judged as (

    select
        coalesce(tonight.contact_key, stored.contact_key) as contact_key,
        tonight.event_count,
        tonight.event_fingerprint,
        tonight.country_fingerprint,
        case
            when everyone.reason is not null then everyone.reason
            when stored.contact_key is null then 'new'
            when coalesce(tonight.event_count, 0) <> stored.event_count
                or tonight.event_fingerprint is distinct from stored.event_fingerprint then 'events'
            when tonight.country_fingerprint is distinct from stored.country_fingerprint then 'jurisdiction'
            when stored.next_clock_at < {{ as_of_instant() }} then 'clock'
        end as affected_because
    from tonight
    full outer join stored on stored.contact_key = tonight.contact_key
    cross join everyone

),
{% else %}
judged as (

    select
        contact_key,
        event_count,
        event_fingerprint,
        country_fingerprint,
        'everyone' as affected_because
    from tonight

),
{% endif %}

final as (

    select
        judged.contact_key,
        judged.affected_because,
        coalesce(judged.event_count, 0) as event_count,
        judged.event_fingerprint,
        judged.country_fingerprint,
        seed_fingerprint.seeds_fingerprint
    from judged
    cross join seed_fingerprint
    where judged.affected_because is not null

)

select * from final
