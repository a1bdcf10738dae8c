{#- Sends are not consent events, but every landed sends line must still be accounted for in the
    reconciliation: a valid send (or a re-delivered copy of one) and the CSV header are 'ignored'
    with their reason, a malformed or conflicting line is 'rejected'. Never an event. -#}
with

sends as (

    select * from {{ ref('int_sends__linked') }}

),

rejected_lines as (

    select {{ line_outcome('rejected', 'reason') }}
    from sends
    where send_outcome = 'rejected'

),

ignored_lines as (

    select {{ line_outcome('ignored', 'reason') }}
    from sends
    where send_outcome in ('send', 'redelivered', 'csv_header')

),

final as (

    select * from rejected_lines
    union all
    select * from ignored_lines

)

select * from final
