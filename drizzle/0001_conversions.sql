CREATE TABLE "conversion_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversion_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"status" text NOT NULL,
	"previous_status" text DEFAULT '' NOT NULL,
	"conversions_delta" smallint NOT NULL,
	"revenue_delta_micros" bigint NOT NULL,
	"payout_micros" bigint NOT NULL,
	"currency" text NOT NULL,
	"batch_id" uuid,
	"batched_at" timestamp (3) with time zone,
	"synced_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "conversions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"network_id" uuid,
	"click_id" text NOT NULL,
	"transaction_id" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"seen_statuses" text[] NOT NULL,
	"payout_micros" bigint NOT NULL,
	"revenue_micros" bigint NOT NULL,
	"currency" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"campaign_id" text DEFAULT '' NOT NULL,
	"stream_id" text DEFAULT '' NOT NULL,
	"destination_id" text DEFAULT '' NOT NULL,
	"source_id" text DEFAULT '' NOT NULL,
	"country" text DEFAULT '' NOT NULL,
	"device" text DEFAULT '' NOT NULL,
	"os" text DEFAULT '' NOT NULL,
	"browser" text DEFAULT '' NOT NULL,
	"external_id" text DEFAULT '' NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"click_ts" timestamp (3) with time zone NOT NULL,
	"sub1" text DEFAULT '' NOT NULL,
	"sub2" text DEFAULT '' NOT NULL,
	"sub3" text DEFAULT '' NOT NULL,
	"sub4" text DEFAULT '' NOT NULL,
	"sub5" text DEFAULT '' NOT NULL,
	"sub6" text DEFAULT '' NOT NULL,
	"sub7" text DEFAULT '' NOT NULL,
	"sub8" text DEFAULT '' NOT NULL,
	"sub9" text DEFAULT '' NOT NULL,
	"sub10" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "postback_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"workspace_id" uuid,
	"network_id" uuid,
	"method" text NOT NULL,
	"query" text DEFAULT '' NOT NULL,
	"body" text DEFAULT '' NOT NULL,
	"ip" text DEFAULT '' NOT NULL,
	"outcome" text NOT NULL,
	"http_status" smallint NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"click_id" text DEFAULT '' NOT NULL,
	"transaction_id" text DEFAULT '' NOT NULL,
	"status" text DEFAULT '' NOT NULL,
	"payout_micros" bigint,
	"conversion_id" uuid
);
--> statement-breakpoint
ALTER TABLE "affiliate_networks" ADD COLUMN "postback_params" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "affiliate_networks" ADD COLUMN "status_map" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "affiliate_networks" ADD COLUMN "default_status" text DEFAULT 'sale' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversion_events" ADD CONSTRAINT "conversion_events_conversion_id_conversions_id_fk" FOREIGN KEY ("conversion_id") REFERENCES "public"."conversions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversion_events" ADD CONSTRAINT "conversion_events_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_network_id_affiliate_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."affiliate_networks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postback_log" ADD CONSTRAINT "postback_log_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postback_log" ADD CONSTRAINT "postback_log_network_id_affiliate_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."affiliate_networks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postback_log" ADD CONSTRAINT "postback_log_conversion_id_conversions_id_fk" FOREIGN KEY ("conversion_id") REFERENCES "public"."conversions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conversion_events_conv_seq" ON "conversion_events" USING btree ("conversion_id","seq");--> statement-breakpoint
CREATE INDEX "conversion_events_unbatched" ON "conversion_events" USING btree ("id") WHERE "conversion_events"."batch_id" IS NULL;--> statement-breakpoint
CREATE INDEX "conversion_events_unsynced" ON "conversion_events" USING btree ("batch_id") WHERE "conversion_events"."synced_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "conversions_network_tid" ON "conversions" USING btree ("network_id","transaction_id") WHERE "conversions"."transaction_id" <> '';--> statement-breakpoint
CREATE UNIQUE INDEX "conversions_network_click" ON "conversions" USING btree ("network_id","click_id") WHERE "conversions"."transaction_id" = '';--> statement-breakpoint
CREATE INDEX "conversions_ws_created" ON "conversions" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "conversions_ws_click" ON "conversions" USING btree ("workspace_id","click_id");--> statement-breakpoint
CREATE INDEX "postback_log_ws_received" ON "postback_log" USING btree ("workspace_id","received_at");--> statement-breakpoint
CREATE INDEX "postback_log_ws_click" ON "postback_log" USING btree ("workspace_id","click_id");