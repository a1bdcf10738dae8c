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

landed_lines as (

    select file_name, line_number, content_sha256, raw_text
    from {{ ref('base_landing__lines') }}
    where line_number > 0

),

landed_files as (

    select file_name, line_number, content_sha256
    from {{ ref('base_landing__lines') }}
    where line_number = 0

),

{% if is_incremental() %}
indexed_files as (

    select file_name, content_sha256
    from {{ this }}
    where line_number = 0

),
{% endif %}

new_files as (

    -- the file versions not indexed yet (every file on a full build): one row per file
    select landed_files.*
    from landed_files
    {%- if is_incremental() %}
    left join indexed_files
        on indexed_files.file_name = landed_files.file_name
        and indexed_files.content_sha256 = landed_files.content_sha256
    where indexed_files.file_name is null
    {%- endif %}

),

new_lines as (

    -- their lines, read once, so DuckDB streams them instead of holding every line's text in a
    -- materialized CTE
    select landed_lines.*
    from landed_lines
    {%- if is_incremental() %}
    inner join new_files
        on new_files.file_name = landed_lines.file_name
        and new_files.content_sha256 = landed_lines.content_sha256
    {%- endif %}

),

file_rows as (

    select
        file_name,
        line_number,
        content_sha256,
        cast(null as {{ dbt.type_string() }}) as contact_key
    from new_files

),

decoded as (

    -- the text and its decoded JSON string values; a line without a backslash has no escape, so
    -- its string values are the raw text's own characters between quotes, and the raw text's
    -- addresses are theirs: only a line with a backslash is decoded (a JSON parse per line
    -- otherwise, a quarter of this model's work)
    select
        file_name,
        line_number,
        content_sha256,
        raw_text,
        case
            when strpos(raw_text, chr(92)) > 0 then {{ json_decoded_strings('raw_text') }}
        end as decoded_text
    from new_lines

),

spellings as (

    select
        file_name,
        line_number,
        content_sha256,
        {{ named_email_spellings("concat_ws(chr(10), raw_text, decoded_text)") }} as spelling
    from decoded

),

mention_rows as (

    select distinct
        file_name,
        line_number,
        content_sha256,
        {{ contact_key(unescape_email_spelling('spelling')) }} as contact_key
    from spellings

),

final as (

    select * from file_rows
    union all
    select * from mention_rows
    where contact_key is not null

)

select * from final
