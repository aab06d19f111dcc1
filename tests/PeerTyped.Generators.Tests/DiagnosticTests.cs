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
}
