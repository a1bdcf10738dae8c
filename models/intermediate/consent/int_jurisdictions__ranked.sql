{#- The jurisdictions seed with a code and a strictness rank, so "the strictest regime wins" is
    one ordering: opt_in over casl over opt_out, then double opt-in, then a refresh age. -#}
with

jurisdictions as (

    select * from {{ ref('jurisdictions') }}

),

final as (

    select
        *,
        country_code || coalesce('-' || subdivision_code, '') as jurisdiction_code,
        case regime when 'opt_in' then 300 when 'casl' then 200 when 'opt_out' then 100 else 300 end
            + case when double_opt_in_required then 10 else 0 end
            + case when consent_refresh_months is not null then 1 else 0 end
            as strictness_rank
    from jurisdictions

)

select * from final
