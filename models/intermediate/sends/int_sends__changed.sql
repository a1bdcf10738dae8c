{#- The sends whose verdict in audit.sends_without_consent may differ from the one the last
    successful run gave (issue 9): the only sends that mart judges on an incremental night. One
    row per send (send_outcome 'send'), the columns the mart reads and no address.

    A send's verdict depends on its own row and on its contact's consent inputs (history, country,
    first events), the seeds and the run date. So a send is judged again when:
    - its contact is one of tonight's affected contacts (int_contacts__affected: new events,
      jurisdiction inputs, a clock point, or a contact seen for the first time, which is how a
      send to an address that was not yet a contact is judged again once it is one);
    - its line was read after the previous successful run date, or on tonight's run date (a rerun
      of the same date sees its late files): loaded_at, a new line or a changed line of a re-read
      file. Lines read on the previous run date were judged by that run;
    - it was sent at or after the end of the previous run date: it was sent_after_as_of then and
      tonight's run date lets it in.
    Which reading of a send id is the send (earliest load, then file, line, among readings without
    a line error) changes only when a reading is added (a new line ranks after every stored one
    but another new line: both judged), loses its line error (sent_after_as_of: judged above), or
    is removed (below); so send ids with several readings need no rule of their own.
    Everything is judged when the whole ledger is re-resolved (int_contacts__affected gives a
    reason for everyone: seeds changed, a backfill of an older run date, no stored state), since
    seeds and the run date decide sends to addresses that are no contact too; and when a sends
    file was read again with other content since the previous run (a landing incident: its
    replaced lines are gone, so a reading in another file that an old line outranked may now be
    the send, and nothing tonight names it). Landed lines never vanish otherwise: the erasure
    purge redacts a line's text but keeps its parsed columns, and a file removed from the landing
    folder keeps its rows.
    The previous successful run date is the latest resolved_as_of of the resolver's state, which
    is written only after this mart has succeeded (int_contacts__resolution_state depends on it),
    so a failed night's lines are judged again the next night.
    A full refresh rebuilds the mart from every send: this model is then empty. -#}
-- depends_on: {{ ref('int_contacts__affected') }}
-- depends_on: {{ ref('base_landing__lines') }}
with

sends as (

    select
        send_id,
        sent_at,
        contact_key,
        channel,
        purpose,
        campaign_id,
        sent_by_system,
        file_name,
        line_number,
        loaded_at
    from {{ ref('int_sends__linked') }}
    where send_outcome = 'send'

),

{% if flags.FULL_REFRESH %}
final as (

    select * from sends
    where false

)
{% elif resolution_state_exists() %}
affected as (

    select * from {{ ref('int_contacts__affected') }}

),

previous_run as (

    select max(resolved_as_of) as previous_as_of
    from {{ source('resolver_state', 'int_contacts__resolution_state') }}

),

everyone as (

    -- a reason that re-resolves every contact re-judges every send
    select count(*) > 0 as is_everyone
    from affected
    where affected_because in ('everyone', 'seeds', 'backfill')

),

reread_files as (

    -- a sends file read again with other content since the previous run
    select count(*) > 0 as any_reread
    from {{ ref('base_landing__lines') }} as landed_files
    cross join previous_run
    where landed_files.source_system = 'sends'
        and landed_files.line_number = 0
        and landed_files.previous_sha256 is not null
        and (
            landed_files.read_at > cast(previous_run.previous_as_of as {{ dbt.type_timestamp() }})
            or landed_files.read_at >= cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        )

),

final as (

    select sends.*
    from sends
    cross join previous_run
    cross join everyone
    cross join reread_files
    where everyone.is_everyone
        or reread_files.any_reread
        or previous_run.previous_as_of is null
        or sends.contact_key in (select contact_key from affected)
        or sends.loaded_at > cast(previous_run.previous_as_of as {{ dbt.type_timestamp() }})
        or sends.loaded_at >= cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        or sends.sent_at >= cast({{ dbt.dateadd('day', 1, 'previous_run.previous_as_of') }} as {{ dbt.type_timestamp() }})

)
{% else %}
final as (

    -- no stored state: nothing is known about earlier runs, judge every send
    select * from sends

)
{% endif %}

select * from final
