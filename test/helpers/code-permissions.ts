import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// What each SDK command needs in IAM. A transaction needs the action of each kind of item it
// holds: see TRANSACTION_ACTIONS.
const COMMAND_ACTIONS: Record<string, string[]> = {
  PutCommand: ['dynamodb:PutItem'],
  GetCommand: ['dynamodb:GetItem'],
  GetItemCommand: ['dynamodb:GetItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  SendMessageCommand: ['sqs:SendMessage'],
  SendMessageBatchCommand: ['sqs:SendMessage'],
  ChangeMessageVisibilityBatchCommand: ['sqs:ChangeMessageVisibility'],
  GetParameterCommand: ['ssm:GetParameter'],
  GetSecretValueCommand: ['secretsmanager:GetSecretValue'],
  PostToConnectionCommand: ['execute-api:ManageConnections'],
  DeleteConnectionCommand: ['execute-api:ManageConnections'],
  GetConnectionCommand: ['execute-api:ManageConnections'],
};

/** The project source files a handler module reaches through relative imports. */
export function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g)) visit(resolve(dirname(file), match[1] as string));
  };
  visit(resolve(entry));
  return [...seen];
}

/** A TransactWriteItems action's kind, as a file that builds one names it (`Put: ...`), and what it needs. */
const TRANSACTION_ACTIONS: Record<string, string> = { Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem' };

/** IAM actions that the SDK commands a handler's code constructs can need. */
export function actionsUsedBy(handler: string): Set<string> {
  const file = `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;
  const actions = new Set<string>();
  for (const source of sourceClosure(file)) {
    const text = readFileSync(source, 'utf8');
    for (const match of text.matchAll(/new (\w+Command)\(/g)) {
      for (const action of COMMAND_ACTIONS[match[1] as string] ?? []) actions.add(action);
    }
    if (!text.includes('new TransactWriteCommand(')) continue;
    // Only the kinds of action the file's transactions hold.
    for (const match of text.matchAll(/\b(Put|Update|Delete|ConditionCheck): /g)) actions.add(TRANSACTION_ACTIONS[match[1] as string] as string);
  }
  return actions;
}
