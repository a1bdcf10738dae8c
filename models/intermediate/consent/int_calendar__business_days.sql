{#- Calendar with a running count of business days (Mon–Fri), so "N business days after" is a
    lookup. Public holidays can be excluded here later without touching the legal clocks. -#}
with

days as (

    select cast(day as date) as calendar_date
    from range(cast('2000-01-01' as date), cast('2101-01-01' as date), interval 1 day) as t(day)

),

final as (

    select
        calendar_date,
        isodow(calendar_date) <= 5 as is_business_day,
        sum(case when isodow(calendar_date) <= 5 then 1 else 0 end)
            over (order by calendar_date rows between unbounded preceding and current row)
            as business_day_number
    from days

)

select * from final
