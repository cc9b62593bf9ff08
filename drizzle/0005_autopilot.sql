CREATE TABLE "autopilot_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"api_key_ciphertext" text NOT NULL,
	"api_key_hint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "autopilot_actions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"autopilot_campaign_id" uuid NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"rule" text NOT NULL,
	"text" text NOT NULL,
	"inputs" jsonb NOT NULL,
	"outcome" text NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "autopilot_campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"ts_campaign_id" bigint NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"settings" jsonb NOT NULL,
	"state" jsonb NOT NULL,
	"last_observation" jsonb,
	"last_tick_at" timestamp (3) with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "autopilot_accounts" ADD CONSTRAINT "autopilot_accounts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autopilot_actions" ADD CONSTRAINT "autopilot_actions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autopilot_actions" ADD CONSTRAINT "autopilot_actions_autopilot_campaign_id_autopilot_campaigns_id_fk" FOREIGN KEY ("autopilot_campaign_id") REFERENCES "public"."autopilot_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autopilot_campaigns" ADD CONSTRAINT "autopilot_campaigns_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autopilot_campaigns" ADD CONSTRAINT "autopilot_campaigns_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autopilot_campaigns" ADD CONSTRAINT "autopilot_campaigns_account_id_autopilot_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."autopilot_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "autopilot_accounts_ws" ON "autopilot_accounts" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "autopilot_actions_campaign" ON "autopilot_actions" USING btree ("autopilot_campaign_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "autopilot_campaigns_campaign" ON "autopilot_campaigns" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "autopilot_campaigns_ws" ON "autopilot_campaigns" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "autopilot_campaigns_enabled" ON "autopilot_campaigns" USING btree ("account_id") WHERE "autopilot_campaigns"."enabled";