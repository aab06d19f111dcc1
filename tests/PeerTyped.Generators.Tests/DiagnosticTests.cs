using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace PeerTyped.Generators.Tests;

/// <summary>Each schema problem fails the build with a stable ID at the offending place in the schema file, and generates nothing.</summary>
public class DiagnosticTests
{
    private const string SchemaPath = "bad.schema.json";

    private static async Task Expect(string schema, params DiagnosticResult[] expected)
    {
        var test = new SchemaGeneratorTest();
        test.TestState.AdditionalFiles.Add((SchemaPath, schema));
        test.TestState.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    private static DiagnosticResult Error(string id, int line, int column, int endLine, int endColumn) =>
        new DiagnosticResult(id, DiagnosticSeverity.Error).WithSpan(SchemaPath, line, column, endLine, endColumn);

    [Fact]
    public Task Malformed_json_is_PTG001_at_the_broken_character() => Expect(
        """
        {
          "type": "object",
          "properties": { "a": { "type": "string" } ,, }
        }
        """,
        Error("PTG001", 3, 46, 3, 47).WithArguments(SchemaPath, "expected a property name in double quotes"));

    [Fact]
    public Task Unsupported_keyword_is_PTG002_naming_the_keyword() => Expect(
        """
        {
          "type": "object",
          "properties": {
            "a": { "oneOf": [ { "type": "string" }, { "type": "integer" } ] }
          }
        }
        """,
        Error("PTG002", 4, 12, 4, 19).WithArguments("#/properties/a", "keyword 'oneOf' is not supported"),
        Error("PTG002", 4, 10, 4, 70).WithArguments("#/properties/a", "a schema without 'type' is not supported"));

    [Fact]
    public Task Unsupported_format_is_PTG002() => Expect(
        """
        {
          "type": "object",
          "properties": { "mail": { "type": "string", "format": "email" } }
        }
        """,
        Error("PTG002", 3, 57, 3, 64).WithArguments("#/properties/mail", "format 'email' is not supported (only date-time on strings)"));

    [Fact]
    public Task Unresolvable_ref_is_PTG003_at_the_ref_value() => Expect(
        """
        {
          "type": "object",
          "properties": { "a": { "$ref": "#/$defs/Missing" } },
          "$defs": {}
        }
        """,
        Error("PTG003", 3, 34, 3, 51).WithArguments("#/$defs/Missing", "#/properties/a"));

    [Fact]
    public Task Owned_section_without_owner_is_PTG004_at_the_property_name() => Expect(
        """
        {
          "x-peer-roles": ["a", "b"],
          "type": "object",
          "properties": {
            "sections": {
              "type": "object",
              "x-peer-owned-sections": true,
              "properties": {
                "first": { "type": "string", "x-peer-owner": "a" },
                "second": { "type": "string" }
              }
            }
          }
        }
        """,
        Error("PTG004", 10, 9, 10, 17).WithArguments("/sections/second"));

    [Fact]
    public Task Names_that_collide_in_CSharp_are_PTG005() => Expect(
        """
        {
          "type": "object",
          "properties": {
            "due_date": { "type": "string" },
            "due-date": { "type": "string" }
          }
        }
        """,
        Error("PTG005", 5, 5, 5, 15).WithArguments("due_date", "due-date", "Bad.DueDate"));

    [Fact]
    public Task Enum_values_that_collide_are_PTG005() => Expect(
        """
        {
          "type": "object",
          "properties": { "s": { "title": "Mode", "type": "string", "enum": ["in_progress", "in-progress"] } }
        }
        """,
        Error("PTG005", 3, 85, 3, 98).WithArguments("in_progress", "in-progress", "Mode.InProgress"));

    [Fact]
    public Task Owner_that_is_not_a_declared_role_is_PTG006() => Expect(
        """
        {
          "x-peer-roles": ["planner"],
          "type": "object",
          "properties": { "plan": { "type": "string", "x-peer-owner": "planer" } }
        }
        """,
        Error("PTG006", 4, 63, 4, 71).WithArguments("planer", "#/properties/plan", "planner"));

    [Fact]
    public Task Two_inline_enums_with_one_title_are_PTG008_instead_of_merging() => Expect(
        """
        {
          "type": "object",
          "properties": {
            "a": { "title": "Mode", "type": "string", "enum": ["fast", "slow"] },
            "b": { "title": "Mode", "type": "string", "enum": ["on", "off"] }
          }
        }
        """,
        Error("PTG008", 5, 21, 5, 27).WithArguments("#/properties/b", "#/properties/a", "Mode"));

    [Fact]
    public Task A_fractional_minimum_on_an_integer_is_PTG009() => Expect(
        """
        {
          "type": "object",
          "properties": {
            "n": { "type": "integer", "minimum": 1.5, "maximum": 1e2 },
            "m": { "type": "integer", "maximum": 9223372036854775808 }
          }
        }
        """,
        Error("PTG009", 4, 42, 4, 45).WithArguments("minimum", "#/properties/n", "1.5"),
        Error("PTG009", 5, 42, 5, 61).WithArguments("maximum", "#/properties/m", "9223372036854775808"));

    [Fact]
    public Task A_number_bound_a_decimal_cannot_hold_is_PTG007() => Expect(
        """
        {
          "type": "object",
          "properties": { "x": { "type": "number", "maximum": 1e40 } }
        }
        """,
        Error("PTG007", 3, 55, 3, 59).WithArguments("maximum", "#/properties/x", "numbers are decimals in C#; 1e40 has more than 28 significant digits or is beyond ±7.9e28"));

    [Fact]
    public Task The_false_schema_is_PTG002_and_true_is_any_JSON() => Expect(
        """
        {
          "type": "object",
          "properties": { "never": false, "anything": true, "also": {} }
        }
        """,
        Error("PTG002", 3, 28, 3, 33).WithArguments("#/properties/never", "the schema false accepts nothing; leave the property out (with additionalProperties: false) instead"));

    [Fact]
    public Task A_rule_that_names_an_unknown_property_or_an_impossible_value_is_PTG010() => Expect(
        """
        {
          "type": "object",
          "properties": {
            "status": { "title": "S", "type": "string", "enum": ["pending", "completed"] },
            "done_at": { "type": "string" }
          },
          "allOf": [
            { "if": { "properties": { "stauts": { "const": "completed" } } }, "else": { "not": { "required": ["done_at"] } } },
            { "if": { "properties": { "status": { "const": "complete" } } }, "else": { "not": { "required": ["done_at"] } } },
            { "if": { "properties": { "status": { "const": "completed" } } }, "else": { "not": { "required": ["doneat"] } } }
          ]
        }
        """,
        Error("PTG010", 8, 31, 8, 39).WithArguments("#/allOf/0/if", "names 'stauts', which is not a property of Bad (status, done_at)"),
        Error("PTG010", 9, 52, 9, 62).WithArguments("#/allOf/1/if/properties/status", "compares 'status' with \"complete\", a value it can never have (one of pending, completed)"),
        Error("PTG010", 10, 103, 10, 111).WithArguments("#/allOf/2/else", "names 'doneat', which is not a property of Bad (status, done_at)"));

    [Fact]
    public Task Rule_forms_outside_the_subset_are_PTG002() => Expect(
        """
        {
          "type": "object",
          "properties": { "n": { "type": "integer" }, "s": { "type": "string", "if": { "minLength": 1 }, "then": {} } },
          "if": { "properties": { "n": { "minimum": 3 } } },
          "then": { "not": { "properties": { "s": { "const": "x" } } } },
          "allOf": [ { "required": ["n"] } ]
        }
        """,
        Error("PTG002", 3, 72, 3, 76).WithArguments("#/properties/s", "'if' is supported only on object schemas, for if/then/else rules"),
        Error("PTG002", 3, 98, 3, 104).WithArguments("#/properties/s", "'then' is supported only on object schemas, for if/then/else rules"),
        Error("PTG002", 4, 34, 4, 43).WithArguments("#/if/properties/n", "keyword 'minimum' is not supported in an if/then/else rule (supported: properties, required, not: {required}, const, enum)"),
        Error("PTG002", 5, 20, 5, 63).WithArguments("#/then/not", "only not: {\"required\": [...]} is supported in a rule"),
        Error("PTG002", 6, 16, 6, 26).WithArguments("#/allOf/0", "keyword 'required' in allOf is not supported (allOf may hold only if/then/else rules)"),
        Error("PTG002", 6, 14, 6, 35).WithArguments("#/allOf/0", "an allOf item without 'if' is not supported (allOf may hold only if/then/else rules)"));
}
