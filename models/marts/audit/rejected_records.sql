{#- Every rejected line (or element of a line) and every quarantined file, with its raw text.
    A rejected line never publishes an address: every address in it, in any spelling (case, JSON
    or URL escaped), and every IP address is masked, and contact_key says whose it was (the first
    address the line names, else the one its file's name holds), so a person's rejected records can
    still be found by key. File names are published masked (base_landing__files). The raw text of a record
    that names an erased address is withheld whole (macros/redaction.sql).

    The text of a rejected outcome is its landed line, joined here from base_landing__lines by
    (file_name, line_number): the one table that keeps it (issue 9), so every element of a line
    carries the line's text. It is the text staging read: a privacy request read despite NUL bytes
    or bytes that are not UTF-8 in its readable form (readable_text), a line the erasure purge
    emptied as its marker. An outcome of a contact an earlier publish recorded as erased (the
    purge has run for her since) whose line does not name her (a Marketo activity keyed by lead
    id) shows the marker the purge wrote into that outcome before issue 9: `[erased line <SHA-256
    of the text>]`. Landing rejections (int_landing__rejections) carry their own text. -#}
with

outcomes as (

    select source_system, file_name, line_number, element_index, reason, loaded_at, contact_key
    from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'rejected'

),

landed_lines as (

    -- the text of each landed line, as staging read it (macros/landing.sql landing_lines)
    select
        file_name,
        line_number,
        case
            when line_error in ('nul_bytes', 'invalid_utf8') then {{ readable_text('raw_text') }}
            else raw_text
        end as line_text
    from {{ ref('base_landing__lines') }}
    where line_number > 0

),

purged_contacts as (

    -- erasures an earlier publish recorded: the working-store purge has emptied their outcomes
    select distinct contact_key from {{ ref('int_publication_ledger__published') }}
    where entry = 'erasure'

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
        outcomes.source_system,
        outcomes.file_name,
        outcomes.line_number,
        outcomes.element_index,
        case
            when outcomes.contact_key in (select contact_key from purged_contacts)
                then {{ purged_value('landed_lines.line_text', 'line') }}
            else landed_lines.line_text
        end as raw_text,
        outcomes.reason,
        outcomes.loaded_at,
        cast(null as {{ dbt.type_string() }}) as file_contact_key
    from outcomes
    left join landed_lines
        on landed_lines.file_name = outcomes.file_name
        and landed_lines.line_number = outcomes.line_number

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
