{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_name',
        on_schema_change='fail',
    )
}}

{#- Who each landed line names (issue 9 and 11): one row per (line, contact_key of an address the
    line names, in any spelling), and one row per file version (line 0, no contact_key) that says
    the file was indexed. Found once, when a file version lands: an incremental run reads only
    the file versions (file_name + content_sha256) not indexed yet, and replaces the rows of a
    re-read file. The working-store purge (macros/purge.sql) then finds the rows of an erased
    contact by a key join on (file_name, line_number) instead of reading every line again.

    Why an index of lines: every declared table whose rows are landed lines (staging, mapping,
    the unioned events, rejections) carries the line's file_name and line_number, and its declared
    columns (page URL, form id, capture point...; the raw text itself only in the landing tables,
    issue 9) are read from that line. The purge
    changes raw_text, not this index, so an erased line's mentions survive it: a table rebuilt
    from the landing is purged again by the same join. Addresses are found by the one rule in
    macros/redaction.sql (named_email_spellings, unescape_email_spelling), in the raw text and in
    its decoded JSON string values (what the parsed columns hold). -#}
with

lines as (

    select file_name, line_number, content_sha256, raw_text
    from {{ ref('base_landing__lines') }}

),

{% if is_incremental() %}
indexed_files as (

    select file_name, content_sha256
    from {{ this }}
    where line_number = 0

),
{% endif %}

new_lines as (

    -- the file versions not indexed yet (every file on a full build)
    select lines.*
    from lines
    {%- if is_incremental() %}
    left join indexed_files
        on indexed_files.file_name = lines.file_name
        and indexed_files.content_sha256 = lines.content_sha256
    where indexed_files.file_name is null
    {%- endif %}

),

texts as (

    select file_name, line_number, raw_text as named_text
    from new_lines
    where line_number > 0
    union all
    select file_name, line_number, {{ json_decoded_strings('raw_text') }} as named_text
    from new_lines
    where line_number > 0

),

spellings as (

    select file_name, line_number, {{ named_email_spellings('named_text') }} as spelling
    from texts
    where named_text is not null

),

mentions as (

    select distinct
        file_name,
        line_number,
        {{ contact_key(unescape_email_spelling('spelling')) }} as contact_key
    from spellings

),

file_rows as (

    select
        file_name,
        line_number,
        content_sha256,
        cast(null as {{ dbt.type_string() }}) as contact_key
    from new_lines
    where line_number = 0

),

mention_rows as (

    select
        mentions.file_name,
        mentions.line_number,
        file_rows.content_sha256,
        mentions.contact_key
    from mentions
    inner join file_rows on file_rows.file_name = mentions.file_name
    where mentions.contact_key is not null

),

final as (

    select * from file_rows
    union all
    select * from mention_rows

)

select * from final
