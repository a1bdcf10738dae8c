{#- Mailchimp member snapshots as versions: one row per usable member line (parsed, not archived),
    with the previous version's status and marketing permissions. A member's history is kept per
    list_id + id (+ address, told by its contact_key: the erasure purge clears the plain email).
    permission_states is the sorted list of the valid permission elements (key =
    marketing_permission_id, else text) with their enabled flag, so reordering the array is no
    change. Archived snapshots are not versions: archiving changes no consent, and a
    member coming back is compared with the snapshot before the archive. -#}
with

members as (

    select * from {{ ref('stg_mailchimp__members') }}
    where parse_error is null and member_status <> 'archived'

),

observations as (

    select
        *,
        list_sort(list_transform(
            list_filter(marketing_permissions, lambda permission: permission.element_error is null),
            lambda permission: {
                'permission_key': coalesce(permission.permission_id, permission.permission_text),
                'enabled': permission.enabled
            }
        )) as permission_states
    from members

),

versions as (

    {{ snapshot_versions(
        'observations',
        ['list_id', 'member_id', 'contact_key'],
        'last_changed_at',
        ['member_status', 'permission_states']
    ) }}

),

final as (

    select * from versions

)

select * from final
