{#- Every rejected line (or element of a line) and every quarantined file, with its raw text.
    A rejected line never publishes an address: every address in it, in any spelling (case, JSON
    or URL escaped), and every IP address is masked, and contact_key says whose it was (the first
    address the line names, else the one its file's name holds), so a person's rejected records can
    still be found by key. File names are published masked (base_landing__files). The raw text of a record
    that names an erased address is withheld whole (macros/redaction.sql). -#}
with

outcomes as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'rejected'

),

landing_rejections as (

    -- quarantined landing entries (any path, any date) and lines rejected before parsing
    select * from {{ ref('int_landing__rejections') }}

),

erased as (

    select distinct contact_key from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and action = 'erasure'

),

known_erasures as (

    -- erasures known whatever the run date (a backfill of a day before the request included)
    select contact_key from {{ ref('int_erasures__known') }}

),

mentions as (

    -- who each landed line names, in any spelling, found once when it landed
    select file_name, line_number, contact_key from {{ ref('int_landing_lines__mentions') }}
    where line_number > 0

),

erased_keys as (

    select contact_key from erased
    union
    select contact_key from known_erasures

),

rejected_lines as (

    select
        source_system, file_name, line_number, element_index, raw_text, reason, loaded_at,
        cast(null as {{ dbt.type_string() }}) as file_contact_key
    from outcomes

),

unioned as (

    select * from rejected_lines
    union all
    select source_system, file_name, line_number, element_index, raw_text, reason, loaded_at, file_contact_key
    from landing_rejections

),

keyed as (

    -- whose line it is: the first address it names, else the address its file's name holds
    select
        *,
        coalesce({{ first_email_key('raw_text') }}, file_contact_key) as contact_key
    from unioned

),

names_erased as (

    -- a line may name several addresses: it is withheld if any of them is erased (a key join on
    -- the index of who each line names, the same rule the working-store purge uses)
    select distinct mentions.file_name, mentions.line_number
    from mentions
    inner join erased_keys on erased_keys.contact_key = mentions.contact_key

),

final as (

    select
        {{ sha256_hex("concat_ws('|', keyed.file_name, keyed.line_number, keyed.element_index, keyed.reason)") }} as rejected_record_id,
        keyed.source_system,
        keyed.file_name,
        keyed.line_number,
        keyed.element_index,
        case
            when names_erased.file_name is not null
                or keyed.contact_key in (select contact_key from erased_keys)
                then '[redacted: names an erased contact]'
            else {{ mask_personal_data('keyed.raw_text') }}
        end as raw_text,
        keyed.contact_key,
        keyed.reason,
        keyed.loaded_at
    from keyed
    left join names_erased
        on names_erased.file_name = keyed.file_name
        and names_erased.line_number = keyed.line_number

)

select * from final
