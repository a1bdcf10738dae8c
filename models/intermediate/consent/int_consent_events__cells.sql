{{ per_contact_incremental_config() }}

{#- The cells an event reaches, written once (issue 14): one row per accepted consent event ×
    contact × purpose × channel it touches. A global event reaches every cell of the contact (a
    sale opt-out only its sale or sharing purposes), a channel event the cells of its channel, a
    purpose event its purpose (on its channel, or every channel when it names none). Read by the
    resolver (the events of a cell's timeline) and suppression_list (the cells a deciding event
    covers). kind is the resolver's class of the event (erasure, delivery, sale, purpose, global,
    channel); priority orders events at one instant. Incremental: the affected contacts' rows
    are rewritten (delete+insert by contact_key). -#}
-- depends_on: {{ ref('int_contacts__affected') }}
with

cells as (

    select * from {{ ref('int_consent_cells__spined') }}
    where {{ is_affected_contact() }}

),

events as (

    select * from {{ ref('int_consent_events__deduplicated') }}
    where outcome = 'event' and {{ is_affected_contact() }}

),

final as (

    {{ consent_event_cells('cells', 'events') }}

)

select * from final
