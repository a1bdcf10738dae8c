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
    The fingerprints are int_contacts__fingerprinted's. Fingerprints instead of a loaded_at watermark: a fingerprint also sees rows that were
    rewritten or removed without a new load time, and it never moves on its own, so a failed run
    loses nothing (the state is written only after the resolver succeeded). -#}
with

tonight as (

    select * from {{ ref('int_contacts__fingerprinted') }}

),

seed_fingerprint as (

    select distinct seeds_fingerprint from tonight

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
            or run_state.previous_seeds_fingerprint is distinct from seed_fingerprint.seeds_fingerprint then 'seeds'
    end as reason
    from run_state
    left join seed_fingerprint on true

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
    left join seed_fingerprint on true
    where judged.affected_because is not null

)

select * from final
