import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import {
  connectionsTableDefinition,
  presenceTableDefinition,
  TTL_ATTRIBUTE,
} from '../../src/dynamodb/index.js';

/** Emulators accept any credentials; these are never real. */
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
};

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const dynamoClient = () => new DynamoDBClient({ ...LOCAL, endpoint: inject('dynamoEndpoint') });

const documentClient = (client = dynamoClient()) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A fresh connections table (with its stream and TTL) and presence table. */
const createTables = async (client = dynamoClient()) => {
  const connections = uniqueName('herald-connections');
  const presence = uniqueName('herald-presence');
  const created = await client.send(
    new CreateTableCommand(connectionsTableDefinition(connections)),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: connections,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
  await client.send(new CreateTableCommand(presenceTableDefinition(presence)));
  return { connections, presence, streamArn: created.TableDescription?.LatestStreamArn as string };
};

export { createTables, documentClient, dynamoClient, LOCAL, uniqueName };
